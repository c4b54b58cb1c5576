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

    /**
     * A presence change ({@code herald.join} or {@code herald.leave}, {@code data} compact JSON) of a
     * topic this node is subscribed to, from any node. Best effort: not stored, not replayed.
     */
    default void onPresence(Topic topic, String type, String data) {
    }
}
