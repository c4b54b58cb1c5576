package dev.herald.hub;

import dev.herald.event.Cursor;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One connection's subscription to one or more topics: its position in each topic and its bounded
 * outbound queue.
 *
 * <p>Life: created in <em>replaying</em> state, in which live events from the hub are held in a
 * pending list while the hub replays history; {@link #goLive} then moves the pending events that are
 * newer than the replay into the queue. From then on each live event is queued unless its id is not
 * newer than the last one queued for its topic (a duplicate from a broker gap fill or from the
 * handoff). This is the gap-free, duplicate-free resume: every event after the cursor is either in
 * the replay or was received live after registration, and the id filter removes the overlap.
 *
 * <p>Threads: {@link #offer} is called by broker threads (several at once for different topics);
 * {@link #drain} by the connection's own thread only.
 */
public final class Subscription {

    /** The cursor of a single-topic subscription after an event depends on the event alone. */
    public static final Event.Encoding<String> SINGLE_TOPIC_CURSOR = Event.Encoding.allocate("single-topic-cursor",
            e -> Cursor.encode(new long[] {Cursor.topicKey(e.topic())}, new EventId[] {e.id()}));

    private final List<Topic> topics;
    private final Map<Topic, Integer> index;
    private final long[] topicKeys;
    private final SubscriberSink sink;
    private final int capacity;
    private final boolean presence;
    /** Queued events are checked against this (guarded by this). */
    private final EventId[] enqueued;
    /** Positions after the last delivery written (drain thread only). */
    private final EventId[] delivered;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    // The counters are fields of this object, updated through field updaters, rather than Atomic*
    // objects of their own: a fan-out touches every subscription of a topic, and four more objects per
    // subscription were four more cache misses per delivery. (Updaters created with constant arguments
    // are resolved by native-image without reflection configuration.)
    private volatile int size;
    /** The queue bound: the capacity, plus the replay backlog while it drains. */
    private volatile int limit;
    /** 1 while a wake-up is scheduled or a drain runs. */
    private volatile int wakeScheduled;
    /** Replayed events still queued: they are drained before any live event. */
    private volatile int replayBacklog;
    private static final AtomicIntegerFieldUpdater<Subscription> SIZE =
            AtomicIntegerFieldUpdater.newUpdater(Subscription.class, "size");
    private static final AtomicIntegerFieldUpdater<Subscription> LIMIT =
            AtomicIntegerFieldUpdater.newUpdater(Subscription.class, "limit");
    private static final AtomicIntegerFieldUpdater<Subscription> WAKE =
            AtomicIntegerFieldUpdater.newUpdater(Subscription.class, "wakeScheduled");
    private static final AtomicIntegerFieldUpdater<Subscription> BACKLOG =
            AtomicIntegerFieldUpdater.newUpdater(Subscription.class, "replayBacklog");
    private List<Event> pending = new ArrayList<>();
    private volatile boolean closed;
    private String initialCursor;

    Subscription(List<Topic> topics, SubscriberSink sink, int capacity, boolean presence) {
        this.topics = List.copyOf(topics);
        this.sink = sink;
        this.capacity = capacity;
        this.presence = presence;
        this.limit = capacity;
        this.index = new HashMap<>();
        this.topicKeys = new long[topics.size()];
        this.enqueued = new EventId[topics.size()];
        this.delivered = new EventId[topics.size()];
        for (int i = 0; i < this.topics.size(); i++) {
            index.put(this.topics.get(i), i);
            topicKeys[i] = Cursor.topicKey(this.topics.get(i));
            enqueued[i] = EventId.ZERO;
            delivered[i] = EventId.ZERO;
        }
    }

    public List<Topic> topics() {
        return topics;
    }

    /**
     * The position this subscription started from, to hand to the client before any delivery; null when
     * a notice (reset) comes first, whose own frame carries the position.
     */
    public String initialCursor() {
        return initialCursor;
    }

    /** Whether this subscription asked for presence notices. */
    public boolean wantsPresence() {
        return presence;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Sets the starting positions (replaying state, before any replay is queued). */
    synchronized void start(Map<Topic, EventId> positions) {
        if (closed) {
            return;
        }
        positions.forEach((topic, id) -> {
            int i = index.get(topic);
            enqueued[i] = id;
            delivered[i] = id;
        });
        initialCursor = Cursor.encode(topicKeys, delivered.clone());
    }

    /** Queues notices and replayed events ahead of live ones; the queue bound grows by the backlog. */
    synchronized void replay(List<Notice> notices, List<Event> events) {
        if (closed) {
            return;
        }
        if (!notices.isEmpty()) {
            // The starting position already lies past the reset: a client that lost the stream before
            // reading the notice must not resume from it, so the preamble names no position.
            initialCursor = null;
        }
        int backlog = 0;
        for (Notice n : notices) {
            queue.add(n);
            backlog++;
        }
        for (Event e : events) {
            int i = index.get(e.topic());
            if (e.id().isAfter(enqueued[i])) {
                enqueued[i] = e.id();
                queue.add(e);
                BACKLOG.incrementAndGet(this);
                backlog++;
            }
        }
        // Only what is added here: presence notices queued before the replay are counted already.
        SIZE.addAndGet(this, backlog);
        LIMIT.addAndGet(this, backlog);
    }

    /**
     * Ends replaying: queues the live events received meanwhile that are newer than the replay.
     * Returns false when they do not fit (the caller drops the subscription as a slow consumer).
     */
    boolean goLive() {
        boolean fits = true;
        synchronized (this) {
            if (closed) {
                return true; // dropped while replaying (slow consumer, lost history): nothing to do
            }
            List<Event> held = pending;
            pending = null;
            for (Event e : held) {
                if (!enqueue(e)) {
                    fits = false;
                    break;
                }
            }
        }
        wake();
        return fits;
    }

    /** Called by the hub for each live event of one of this subscription's topics. */
    boolean offer(Event event) {
        synchronized (this) {
            if (closed) {
                return true;
            }
            if (pending != null) {
                if (pending.size() >= capacity) {
                    return false;
                }
                pending.add(event);
                return true;
            }
            if (!enqueue(event)) {
                return false;
            }
        }
        wake();
        return true;
    }

    /**
     * Queues a presence notice (any thread). Presence is not part of history: a notice that arrives
     * while the replay is prepared is queued ahead of it. Returns false when the queue is full.
     */
    boolean offerNotice(Notice notice) {
        synchronized (this) {
            if (closed) {
                return true;
            }
            if (size >= limit) {
                return false;
            }
            queue.add(notice);
            SIZE.incrementAndGet(this);
        }
        wake();
        return true;
    }

    /** The index of a topic of this subscription, or -1. */
    private int indexOf(Topic topic) {
        // Single-topic subscriptions (the common case) skip the lookup: the hub offers a subscription
        // only events of its own topics, and replays only those. The lookup (a hash, and a comparison
        // of topic names that touches two more objects per delivery, cache misses across thousands of
        // subscriptions) was 8% of the fan-out profile.
        if (topicKeys.length == 1) {
            return 0;
        }
        Integer i = index.get(topic);
        return i == null ? -1 : i;
    }

    private boolean enqueue(Event event) {
        int i = indexOf(event.topic());
        if (i < 0 || !event.id().isAfter(enqueued[i])) {
            return true;
        }
        if (size >= limit) {
            return false;
        }
        enqueued[i] = event.id();
        queue.add(event);
        SIZE.incrementAndGet(this);
        return true;
    }

    private void wake() {
        if (!queue.isEmpty() && WAKE.compareAndSet(this, 0, 1)) {
            sink.wakeUp();
        }
    }

    /**
     * Writes queued deliveries while the writer can take them. Called on the connection's thread after
     * {@link SubscriberSink#wakeUp} and whenever the connection becomes writable again.
     */
    public void drain(DeliveryWriter writer) {
        while (true) {
            Object item;
            while (!closed && writer.canWrite() && (item = queue.poll()) != null) {
                SIZE.decrementAndGet(this);
                if (limit > capacity) {
                    LIMIT.decrementAndGet(this);
                }
                if (item instanceof Event e) {
                    int i = indexOf(e.topic());
                    delivered[i] = e.id();
                    boolean replayed = replayBacklog > 0 && BACKLOG.getAndDecrement(this) > 0;
                    if (topics.size() == 1) {
                        writer.write(e, e.encoded(SINGLE_TOPIC_CURSOR), true, replayed);
                    } else {
                        writer.write(e, Cursor.encode(topicKeys, delivered), false, replayed);
                    }
                } else {
                    writer.write((Notice) item, Cursor.encode(topicKeys, delivered));
                }
            }
            if (closed || !writer.canWrite()) {
                return;
            }
            wakeScheduled = 0;
            if (queue.isEmpty() || !WAKE.compareAndSet(this, 0, 1)) {
                return;
            }
        }
    }

    /** Whether everything queued so far has been written (connection thread). */
    public boolean drained() {
        return queue.isEmpty();
    }

    /** The current position after the last written delivery (connection thread). */
    public String currentCursor() {
        return Cursor.encode(topicKeys, delivered);
    }

    SubscriberSink sink() {
        return sink;
    }

    /** Stops queuing; returns false if it was already closed. */
    boolean markClosed() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
            pending = null;
        }
        queue.clear();
        size = 0;
        return true;
    }
}
