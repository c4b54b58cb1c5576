package dev.herald.hub;

import dev.herald.event.Topic;

/**
 * A message the server itself sends on a subscription: a {@code herald.reset} (which moves the
 * subscription's position) or a presence change (which does not).
 *
 * @param type  one of the reserved {@code herald.*} event types
 * @param data  its payload, compact JSON
 * @param topic the topic a presence change is about; null for notices about the whole subscription
 */
public record Notice(String type, String data, Topic topic) {

    public static final String RESET = "herald.reset";
    public static final String SHUTDOWN = "herald.shutdown";
    public static final String JOIN = "herald.join";
    public static final String LEAVE = "herald.leave";

    public Notice(String type, String data) {
        this(type, data, null);
    }

    /** Presence changes say who came or went; they are not part of the topic's history. */
    public boolean isPresence() {
        return JOIN.equals(type) || LEAVE.equals(type);
    }
}
