package dev.herald.auth;

import dev.herald.event.TopicPattern;
import java.util.List;

/**
 * What a principal may do with job queues, from the token's {@code enqueue}, {@code work} and {@code admin}
 * claims (arrays of queue patterns, the topic-pattern syntax: {@code mail}, {@code images:*}, {@code *}).
 */
public record QueueRights(List<TopicPattern> enqueue, List<TopicPattern> work, List<TopicPattern> admin) {

    public static final QueueRights NONE = new QueueRights(List.of(), List.of(), List.of());
    public static final QueueRights ALL =
            new QueueRights(List.of(TopicPattern.of("*")), List.of(TopicPattern.of("*")), List.of(TopicPattern.of("*")));

    public QueueRights {
        enqueue = List.copyOf(enqueue);
        work = List.copyOf(work);
        admin = List.copyOf(admin);
    }

    public boolean mayEnqueue(String queue) {
        return matches(enqueue, queue);
    }

    public boolean mayWork(String queue) {
        return matches(work, queue);
    }

    public boolean mayAdminister(String queue) {
        return matches(admin, queue);
    }

    /** Queue names follow the topic-name rule, so a queue pattern matches them as a topic pattern would. */
    private static boolean matches(List<TopicPattern> patterns, String queue) {
        return patterns.stream().anyMatch(p -> p.matchesName(queue));
    }
}
