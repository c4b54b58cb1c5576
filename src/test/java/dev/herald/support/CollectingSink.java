package dev.herald.support;

import dev.herald.event.Event;
import dev.herald.hub.DeliveryWriter;
import dev.herald.hub.Notice;
import dev.herald.hub.SubscriberSink;
import dev.herald.hub.Subscription;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A subscriber for tests of the hub without a transport: once {@link #subscription} is set, every wake-up
 * drains it at once into {@link #events}; without one it never drains (a stalled client). Close reasons
 * are kept in {@link #closed}.
 */
public class CollectingSink implements SubscriberSink, DeliveryWriter {
    public final List<Event> events = new CopyOnWriteArrayList<>();
    public final List<CloseReason> closed = new CopyOnWriteArrayList<>();
    public Subscription subscription;

    @Override
    public void wakeUp() {
        if (subscription != null) {
            subscription.drain(this);
        }
    }

    @Override
    public void close(CloseReason reason) {
        closed.add(reason);
    }

    @Override
    public boolean canWrite() {
        return true;
    }

    @Override
    public void write(Event event, String cursor, boolean singleTopic, boolean replayed) {
        events.add(event);
    }

    @Override
    public void write(Notice notice, String cursor) {
    }
}
