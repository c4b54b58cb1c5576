package dev.herald.broker;

import dev.herald.event.EventId;
import dev.herald.event.Topic;

/** The outcome of a publish: the event's id, and whether it was a duplicate of an earlier publish. */
public record PublishResult(Topic topic, EventId id, boolean duplicate) {
}
