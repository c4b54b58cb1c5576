package dev.herald.broker.memory;

import dev.herald.broker.BrokerListener;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One topic's retained events and head id. Every method holds the instance lock: id assignment,
 * storage and live dispatch of one publish happen atomically, which is what makes a subscriber's
 * "register live, then read history" handoff free of gaps.
 *
 * <p>Events are dropped oldest first: beyond the retention's count, age and bytes per topic here,
 * and by the node's {@link HistoryBudget} through {@link #evictThrough}. Whatever drops them, the
 * newest dropped id becomes the floor, so a cursor before it gets a reset.
 */
final class TopicHistory {

    private final Topic topic;
    private final Retention retention;
    private final HistoryBudget budget;
    private final IdempotencyKeys keys;
    private final ArrayDeque<StoredEvent> events = new ArrayDeque<>();
    /** Cost of the retained events. */
    private long bytes;
    /** Newest id ever assigned in this topic. */
    private EventId head;
    /** Newest id that is no longer retained: a position before it has lost events. */
    private EventId floor;
    private long lastActivity;
    private boolean evicted;

    TopicHistory(Topic topic, EventId floor, long now, Retention retention, HistoryBudget budget,
                 IdempotencyKeys keys) {
        this.topic = topic;
        this.head = floor;
        this.floor = floor;
        this.lastActivity = now;
        this.retention = retention;
        this.budget = budget;
        this.keys = keys;
    }

    /**
     * Stores and dispatches one event. Returns null when this history was evicted meanwhile: the caller
     * retries on a fresh one. {@code target} gives the live listener, or null when the topic is not
     * subscribed; asked under the lock.
     */
    synchronized PublishResult append(PublishRequest request, long now, Supplier<BrokerListener> target) {
        if (evicted) {
            return null;
        }
        lastActivity = now;
        String key = request.idempotencyKey();
        if (key != null) {
            EventId seen = keys.find(topic, key, now);
            if (seen != null) {
                return new PublishResult(topic, seen, true);
            }
        }
        EventId id = now > head.millis() ? new EventId(now, 0) : head.next();
        Event event = new Event(id, topic, request.type(), request.data(), now, request.trace());
        head = id;
        BrokerListener listener = target.get();
        StoredEvent stored = new StoredEvent(event, this, listener != null);
        events.addLast(stored);
        bytes += stored.cost;
        budget.link(stored);
        trim(now);
        if (key != null) {
            keys.remember(topic, key, id, now + retention.idempotencyWindow().toMillis());
        }
        if (listener != null) {
            listener.onEvent(event);
        }
        return new PublishResult(topic, id, false);
    }

    synchronized HistoryPage read(EventId after, int limit, long now, EventId bootFloor) {
        trim(now);
        // A position before the floor has lost events; one after the head, or from before this
        // process started, names events this broker never stored (restart or eviction).
        boolean truncated = after.isBefore(floor) || after.isAfter(head)
                || (!after.equals(EventId.ZERO) && after.isBefore(bootFloor));
        List<Event> page = new ArrayList<>(Math.min(limit, events.size()));
        if (!events.isEmpty() && !after.isBefore(events.peekLast().event.id())) {
            return new HistoryPage(page, truncated, head);
        }
        for (StoredEvent e : events) {
            if (e.event.id().isAfter(after)) {
                page.add(e.event);
                if (page.size() >= limit) {
                    break;
                }
            }
        }
        return new HistoryPage(page, truncated, head);
    }

    synchronized EventId head() {
        return head;
    }

    synchronized long lastActivity() {
        return lastActivity;
    }

    /** Marks this history evicted, releases its events and returns its head, for the broker's tombstone. */
    synchronized EventId evict() {
        evicted = true;
        while (!events.isEmpty()) {
            drop();
        }
        return head;
    }

    /**
     * Drops the oldest events up to and including {@code victim}, for the node's budget; returns how
     * many, 0 when the victim was already dropped.
     */
    synchronized int evictThrough(StoredEvent victim) {
        if (!victim.linked) {
            return 0;
        }
        // The victim is the node's oldest, so normally this topic's oldest too; when two evictions
        // race, an older event of this topic may still be in front of it: it goes first.
        int dropped = 0;
        StoredEvent last;
        do {
            last = drop();
            dropped++;
        } while (last != victim);
        return dropped;
    }

    private void trim(long now) {
        while (events.size() > retention.maxEvents()) {
            drop();
        }
        long oldestKept = now - retention.maxAge().toMillis();
        while (!events.isEmpty() && events.peekFirst().event.ts() < oldestKept) {
            drop();
        }
        // Bytes last: count and age are the configured retention; bytes are the safety bound. An event
        // larger than the whole per-topic bound is delivered live but not retained.
        int overBytes = 0;
        while (bytes > retention.bytes().perTopic()) {
            drop();
            overBytes++;
        }
        if (overBytes > 0) {
            budget.metrics().historyEvicted(MemoryBroker.NAME, "topic-bytes", overBytes);
        }
    }

    private StoredEvent drop() {
        StoredEvent oldest = events.removeFirst();
        floor = oldest.event.id();
        bytes -= oldest.cost;
        budget.unlink(oldest);
        return oldest;
    }
}
