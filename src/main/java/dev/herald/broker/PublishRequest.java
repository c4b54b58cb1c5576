package dev.herald.broker;

import dev.herald.event.Topic;
import dev.herald.event.TraceParent;
import java.util.Objects;

/**
 * An event to publish. {@code data} is compact one-line JSON; {@code idempotencyKey} may be null;
 * {@code trace} is the {@link TraceParent} of the publish span to store with the event, or null.
 * Validation of type and sizes happens in the publish API before a request is built.
 */
public record PublishRequest(Topic topic, String type, String data, String idempotencyKey, String trace) {

    public PublishRequest {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        trace = TraceParent.orNull(trace);
    }

    /** An untraced event. */
    public PublishRequest(Topic topic, String type, String data, String idempotencyKey) {
        this(topic, type, data, idempotencyKey, null);
    }

    /** The same event, stored with {@code trace}. */
    public PublishRequest withTrace(String trace) {
        return new PublishRequest(topic, type, data, idempotencyKey, trace);
    }
}
