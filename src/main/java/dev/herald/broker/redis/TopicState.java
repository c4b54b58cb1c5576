package dev.herald.broker.redis;

import dev.herald.broker.HeldEvents;
import dev.herald.event.Topic;

/** One locally subscribed topic's live channel state ({@link LiveChannels}' context only). */
final class TopicState extends HeldEvents.Position {

    TopicState(Topic topic) {
        super(topic);
    }
}
