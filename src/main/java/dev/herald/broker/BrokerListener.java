package dev.herald.broker;

import dev.herald.event.Event;

/** Receives the live events of the topics a node is subscribed to. Must not block. */
@FunctionalInterface
public interface BrokerListener {

    void onEvent(Event event);
}
