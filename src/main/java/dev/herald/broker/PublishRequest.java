package dev.herald.broker;

import dev.herald.event.Topic;
import java.util.Objects;

/**
 * An event to publish. {@code data} is compact one-line JSON; {@code idempotencyKey} may be null.
 * Validation of type and sizes happens in the publish API before a request is built.
 */
public record PublishRequest(Topic topic, String type, String data, String idempotencyKey) {

    public PublishRequest {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
    }
}
