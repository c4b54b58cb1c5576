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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One topic's retained events, head id and idempotency keys. Every method holds the instance lock:
 * id assignment, storage and live dispatch of one publish happen atomically, which is what makes a
 * subscriber's "register live, then read history" handoff free of gaps.
 */
final class TopicHistory {

    /** Idempotency keys remembered per topic at most; the oldest are forgotten first. */
    static final int MAX_IDEMPOTENCY_KEYS = 10_000;

    private record Remembered(EventId id, long expiresAt) {
    }

    private final Topic topic;
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private final Map<String, Remembered> idempotencyKeys = new LinkedHashMap<>();
    /** Newest id ever assigned in this topic. */
    private EventId head;
    /** Newest id that is no longer retained: a position before it has lost events. */
    private EventId floor;
    private long lastActivity;
    private boolean evicted;

    TopicHistory(Topic topic, EventId floor, long now) {
        this.topic = topic;
        this.head = floor;
        this.floor = floor;
        this.lastActivity = now;
    }

    /** Returns null when this history was evicted meanwhile: the caller retries on a fresh one. */
    /** {@code target} gives the live listener, or null when the topic is not subscribed; asked under the lock. */
    synchronized PublishResult append(PublishRequest request, long now, Retention retention,
                                      Supplier<BrokerListener> target) {
        if (evicted) {
            return null;
        }
        lastActivity = now;
        String key = request.idempotencyKey();
        if (key != null) {
            expireKeys(now);
            Remembered seen = idempotencyKeys.get(key);
            if (seen != null) {
                return new PublishResult(topic, seen.id(), true);
            }
        }
        EventId id = now > head.millis() ? new EventId(now, 0) : head.next();
        Event event = new Event(id, topic, request.type(), request.data(), now);
        head = id;
        events.addLast(event);
        trim(now, retention);
        if (key != null) {
            idempotencyKeys.put(key, new Remembered(id, now + retention.idempotencyWindow().toMillis()));
            if (idempotencyKeys.size() > MAX_IDEMPOTENCY_KEYS) {
                Iterator<String> oldest = idempotencyKeys.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        BrokerListener listener = target.get();
        if (listener != null) {
            listener.onEvent(event);
        }
        return new PublishResult(topic, id, false);
    }

    synchronized HistoryPage read(EventId after, int limit, long now, Retention retention, EventId bootFloor) {
        trim(now, retention);
        // A position before the floor has lost events; one after the head, or from before this
        // process started, names events this broker never stored (restart or eviction).
        boolean truncated = after.isBefore(floor) || after.isAfter(head)
                || (!after.equals(EventId.ZERO) && after.isBefore(bootFloor));
        List<Event> page = new ArrayList<>(Math.min(limit, events.size()));
        if (!events.isEmpty() && !after.isBefore(events.peekLast().id())) {
            return new HistoryPage(page, truncated, head);
        }
        for (Event e : events) {
            if (e.id().isAfter(after)) {
                page.add(e);
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

    /** Marks this history evicted and returns its head, for the broker's tombstone. */
    synchronized EventId evict() {
        evicted = true;
        return head;
    }

    private void trim(long now, Retention retention) {
        while (events.size() > retention.maxEvents()) {
            floor = events.removeFirst().id();
        }
        long oldestKept = now - retention.maxAge().toMillis();
        while (!events.isEmpty() && events.peekFirst().ts() < oldestKept) {
            floor = events.removeFirst().id();
        }
    }

    private void expireKeys(long now) {
        Iterator<Remembered> it = idempotencyKeys.values().iterator();
        while (it.hasNext() && it.next().expiresAt() <= now) {
            it.remove();
        }
    }
}
