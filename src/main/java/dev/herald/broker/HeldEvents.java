package dev.herald.broker;

import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Where a broker's live messages can be missed (Redis pub/sub, core NATS) and a topic's gap is then
 * filled from its history, the live events that arrive meanwhile are held and delivered after the missed
 * ones. This keeps each topic's last delivered event (later deliveries of it or of older ones are dropped)
 * and the held events, bounded in bytes for all topics together: a topic whose event would go past the
 * bound gives up its gap, its listener is told that its history was lost (its subscribers resynchronize
 * from their own cursors) and it goes live from that event, rather than the node holding without limit.
 *
 * <p>Not thread-safe: the broker calls it under its own lock, or on its own context only.
 */
public final class HeldEvents {

    private static final Logger LOG = Logger.getLogger(HeldEvents.class);
    /** Rough per-event cost of a held event beyond its type and data (object headers, id, references). */
    private static final long EVENT_OVERHEAD = 64;

    /** One locally subscribed topic: its last delivered event and, while a gap is filled, its held events. */
    public static class Position {
        public final Topic topic;
        private EventId lastDelivered;
        private List<Event> held;
        private long heldBytes;

        public Position(Topic topic) {
            this.topic = topic;
        }

        /** The last event delivered, or null before the subscription learnt where the topic stood. */
        public EventId lastDelivered() {
            return lastDelivered;
        }

        /** Where a gap fill starts: the last event delivered, or the beginning. */
        public EventId fillFrom() {
            return lastDelivered == null ? EventId.ZERO : lastDelivered;
        }

        /** The position a new subscription starts from, unless an event was delivered already. */
        public void startAt(EventId head) {
            if (lastDelivered == null) {
                lastDelivered = head;
            }
        }

        /** Skips to {@code id}: what lies before it was lost and the listener told so. */
        public void skipTo(EventId id) {
            if (lastDelivered == null || id.isAfter(lastDelivered)) {
                lastDelivered = id;
            }
        }

        /** Whether live events are held (a gap is being filled). */
        public boolean holding() {
            return held != null;
        }
    }

    private final long maxBytes;
    private final String setting;
    private final Supplier<BrokerListener> listener;
    private long bytes;

    /**
     * @param maxBytes the bound for all topics together
     * @param setting  the setting that configures it, named in the warning when it is reached
     * @param listener the broker's listener (null until one is set)
     */
    public HeldEvents(long maxBytes, String setting, Supplier<BrokerListener> listener) {
        this.maxBytes = maxBytes;
        this.setting = setting;
        this.listener = listener;
    }

    /** The topic's live events are held from now on, until {@link #resume} or {@link #drop}. */
    public void hold(Position p) {
        if (p.held == null) {
            p.held = new ArrayList<>();
        }
    }

    /** Holds a live event of a topic that is {@link Position#holding}, within the bound. */
    public void hold(Position p, Event event) {
        long size = event.type().length() + event.data().length() + EVENT_OVERHEAD;
        if (bytes + size <= maxBytes) {
            p.held.add(event);
            p.heldBytes += size;
            bytes += size;
            return;
        }
        LOG.warnf("more than %d bytes of live events held while gaps are filled; %s gives up its gap and its "
                + "subscribers resynchronize (%s)", maxBytes, p.topic, setting);
        drop(p);
        BrokerListener l = listener.get();
        if (l != null) {
            l.onHistoryLost(p.topic);
        }
        deliver(p, event);
    }

    /** The gap is filled: the held events are delivered (those not delivered already) and the topic is live. */
    public void resume(Position p) {
        List<Event> held = p.held;
        drop(p);
        if (held != null) {
            for (Event e : held) {
                deliver(p, e);
            }
        }
    }

    /** The topic stops holding, its held events dropped (it was unsubscribed, or gave up its gap). */
    public void drop(Position p) {
        bytes -= p.heldBytes;
        p.heldBytes = 0;
        p.held = null;
    }

    /** Delivers an event to the listener unless it is not after the last one delivered. */
    public void deliver(Position p, Event event) {
        if (p.lastDelivered != null && !event.id().isAfter(p.lastDelivered)) {
            return;
        }
        p.lastDelivered = event.id();
        BrokerListener l = listener.get();
        if (l != null) {
            l.onEvent(event);
        }
    }
}
