package dev.herald.jobs;

import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;

/**
 * A validated queue name: the topic-name rule (1–200 characters from {@code A-Z a-z 0-9 _ - . : @ |},
 * starting with a letter or digit), so a queue name is safe in URLs, Redis keys and JSON strings.
 */
public record QueueName(String name) {

    public QueueName {
        if (!Topic.isValid(name)) {
            throw new InvalidInputException("invalid queue '" + InvalidInputException.excerpt(name)
                    + "': 1-200 characters from A-Z a-z 0-9 _ - . : @ |, starting with a letter or digit");
        }
    }

    public static QueueName of(String name) {
        return new QueueName(name);
    }

    @Override
    public String toString() {
        return name;
    }
}
