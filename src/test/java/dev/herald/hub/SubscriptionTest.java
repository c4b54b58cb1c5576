package dev.herald.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The subscription's queue accounting, without a hub. */
class SubscriptionTest {

    private static final Topic TOPIC = Topic.of("room:q");

    private static final class Counting implements SubscriberSink, DeliveryWriter {
        final List<Object> written = new ArrayList<>();

        @Override
        public void wakeUp() {
        }

        @Override
        public void close(CloseReason reason) {
        }

        @Override
        public boolean canWrite() {
            return true;
        }

        @Override
        public void write(Event event, String cursor, boolean singleTopic, boolean replayed) {
            written.add(event);
        }

        @Override
        public void write(Notice notice, String cursor) {
            written.add(notice);
        }
    }

    private static Event event(long seq) {
        return new Event(new EventId(1000, seq), TOPIC, "m", "1", 1000);
    }

    @Test
    void presenceNoticesQueuedDuringTheReplayDoNotShrinkTheQueueForGood() {
        Counting sink = new Counting();
        Subscription s = new Subscription(List.of(TOPIC), sink, 10, true);
        for (int i = 0; i < 4; i++) {
            assertTrue(s.offerNotice(new Notice(Notice.JOIN, "{\"user\":\"u" + i + "\"}", TOPIC)));
        }
        s.start(Map.of(TOPIC, EventId.ZERO));
        s.replay(List.of(), List.of(event(1), event(2)));
        assertTrue(s.goLive());
        s.drain(sink);
        assertEquals(6, sink.written.size());
        for (int i = 3; i < 13; i++) {
            assertTrue(s.offer(event(i)), "the full capacity is free again after draining: event " + i);
        }
    }
}
