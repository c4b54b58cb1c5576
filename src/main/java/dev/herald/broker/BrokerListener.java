package dev.herald.broker;

import dev.herald.event.Event;
import dev.herald.event.Topic;

/** Receives the live events of the topics a node is subscribed to. Must not block. */
public interface BrokerListener {

    void onEvent(Event event);

    /**
     * Live delivery of {@code topic} missed events that are no longer in its history (for example a
     * Redis outage longer than the retention). Subscribers of the topic must resynchronize: the hub
     * ends their connections, and their cursors then get a {@code herald.reset}.
     */
    default void onHistoryLost(Topic topic) {
    }
}
