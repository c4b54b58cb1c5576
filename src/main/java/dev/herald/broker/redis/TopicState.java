package dev.herald.broker.redis;

import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import java.util.List;

/** One locally subscribed topic's live channel state ({@link LiveChannels}' context only). */
final class TopicState {
    final Topic topic;
    EventId lastDelivered;
    /** Live events held while the gap after a reconnect is being filled (null when live). */
    List<Event> held;
    /** Approximate size of {@link #held}, counted in the channels' total too. */
    long heldBytes;

    TopicState(Topic topic) {
        this.topic = topic;
    }
}
