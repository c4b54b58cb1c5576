package dev.herald.broker.memory;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerListener;
import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.PresenceStore;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The in-memory broker: one node only, history lost on restart. The default; it needs nothing.
 * Use the Redis broker to run more than one node or to keep history across restarts.
 *
 * <p>Every call completes synchronously on the caller's thread. Live events are dispatched to the
 * listener on the publishing thread, under the topic's lock, so per-topic order is the id order.
 *
 * <p>What clients can make it hold is bounded: each topic's history by count, age and bytes; all
 * history of the node by bytes ({@link HistoryBudget}: the oldest events of any topic go first);
 * idempotency keys by their window and by bytes ({@link IdempotencyKeys}); topics by count. Idle
 * topics are evicted, least recently published first, once there are more than
 * {@link Retention#maxTopics()}; topics with live subscribers are kept. An evicted topic leaves a
 * tombstone with its head id so that a cursor into its lost history still gets a reset.
 */
public final class MemoryBroker implements Broker {

    static final String NAME = "memory";

    private final Retention retention;
    private final HistoryBudget budget;
    private final IdempotencyKeys keys;
    private final LongSupplier clock;
    private final ConcurrentHashMap<Topic, TopicHistory> topics = new ConcurrentHashMap<>();
    private final Set<Topic> live = ConcurrentHashMap.newKeySet();
    private final Map<Topic, EventId> tombstones;
    /** Positions from before this broker started name events it never had. */
    private final EventId bootFloor;
    /** The highest head of a tombstone that was forgotten (guarded by tombstones). */
    private EventId droppedFloor = EventId.ZERO;
    private volatile BrokerListener listener;
    private volatile boolean closed;

    public MemoryBroker(Retention retention) {
        this(retention, BrokerMetrics.NONE);
    }

    public MemoryBroker(Retention retention, BrokerMetrics metrics) {
        this(retention, System::currentTimeMillis, metrics);
    }

    /** With an explicit clock (epoch millis), for tests of age-based retention. */
    public MemoryBroker(Retention retention, LongSupplier clock) {
        this(retention, clock, BrokerMetrics.NONE);
    }

    public MemoryBroker(Retention retention, LongSupplier clock, BrokerMetrics metrics) {
        this.retention = retention;
        this.clock = clock;
        this.budget = new HistoryBudget(retention.bytes().perNode(), metrics);
        this.keys = new IdempotencyKeys(retention.bytes().idempotencyKeys(), metrics);
        this.bootFloor = new EventId(clock.getAsLong(), 0);
        int maxTombstones = retention.maxTopics();
        this.tombstones = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Topic, EventId> eldest) {
                if (size() <= maxTombstones) {
                    return false;
                }
                // Forgetting a tombstone must not forget that history was lost: every topic created
                // without a tombstone from now on starts above the highest forgotten head.
                if (eldest.getValue().isAfter(droppedFloor)) {
                    droppedFloor = eldest.getValue();
                }
                return true;
            }
        };
    }

    private final MemoryPresence presence = new MemoryPresence(() -> listener);

    @Override
    public PresenceStore presence() {
        return presence;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void setListener(BrokerListener listener) {
        this.listener = listener;
    }

    @Override
    public Uni<PublishResult> publish(PublishRequest request) {
        return Uni.createFrom().item(() -> publishNow(request));
    }

    private PublishResult publishNow(PublishRequest request) {
        requireOpen();
        while (true) {
            long now = clock.getAsLong();
            TopicHistory history = historyOf(request.topic(), now);
            // Whether the topic is live is decided inside append, under the topic's lock. Checked
            // here, a publish racing a subscribe could store its event after the subscribe completed
            // (and after the hub's history read) without delivering it live: a silent gap. Racing an
            // unsubscribe, it delivered after the unsubscribe completed.
            PublishResult result = history.append(request, now,
                    () -> live.contains(request.topic()) ? listener : null);
            if (result != null) {
                // Outside the topic's lock: eviction takes the locks of other topics.
                budget.enforce();
                return result;
            }
        }
    }

    @Override
    public Uni<HistoryPage> read(Topic topic, EventId after, int limit) {
        return Uni.createFrom().item(() -> {
            requireOpen();
            long now = clock.getAsLong();
            TopicHistory history = topics.get(topic);
            if (history == null) {
                // Not held: its head is its tombstone (evicted) or the floor of forgotten tombstones.
                EventId head = floorFor(topic, false);
                boolean truncated = !after.equals(head)
                        || (!after.equals(EventId.ZERO) && after.isBefore(bootFloor));
                return new HistoryPage(List.of(), truncated, head);
            }
            return history.read(after, limit, now, bootFloor);
        });
    }

    @Override
    public Uni<EventId> head(Topic topic) {
        // A subscriber's starting position: the topic is held from now on, so that position is known
        // even if the topic is evicted and recreated later (its floor then comes from the tombstone).
        return Uni.createFrom().item(() -> {
            requireOpen();
            return historyOf(topic, clock.getAsLong()).head();
        });
    }

    @Override
    public Uni<Void> subscribe(Topic topic) {
        return Uni.createFrom().item(() -> {
            live.add(topic);
            return null;
        });
    }

    @Override
    public Uni<Void> unsubscribe(Topic topic) {
        return Uni.createFrom().item(() -> {
            live.remove(topic);
            return null;
        });
    }

    @Override
    public Uni<Boolean> isAvailable() {
        return Uni.createFrom().item(!closed);
    }

    @Override
    public void close() {
        closed = true;
        live.clear();
    }

    /** Number of topics held in memory (for tests and metrics). */
    public int topicCount() {
        return topics.size();
    }

    /** Bytes of history held on this node, as accounted against {@code Retention.ByteLimits#perNode}. */
    public long historyBytes() {
        return budget.bytes();
    }

    /** Bytes of idempotency keys remembered on this node, as accounted against their limit. */
    public long idempotencyBytes() {
        return keys.bytes();
    }

    private void requireOpen() {
        if (closed) {
            throw new BrokerUnavailableException("the broker is closed");
        }
    }

    private TopicHistory historyOf(Topic topic, long now) {
        TopicHistory history = topics.get(topic);
        if (history != null) {
            return history;
        }
        history = topics.computeIfAbsent(topic,
                t -> new TopicHistory(t, floorFor(t, true), now, retention, budget, keys));
        if (topics.size() > retention.maxTopics()) {
            evictIdleTopics(topic);
        }
        return history;
    }

    /** Where a topic not held in memory starts: its tombstone, else the floor of forgotten tombstones. */
    private EventId floorFor(Topic topic, boolean consume) {
        synchronized (tombstones) {
            EventId tombstone = consume ? tombstones.remove(topic) : tombstones.get(topic);
            return tombstone != null ? tombstone : droppedFloor;
        }
    }

    /**
     * Evicts the least recently published topics without live subscribers, down to 90% of the limit,
     * so that a steady stream of new topics pays for a sweep only once in a while.
     */
    private synchronized void evictIdleTopics(Topic keep) {
        int target = Math.max(0, retention.maxTopics() - Math.max(1, retention.maxTopics() / 10));
        if (topics.size() <= retention.maxTopics()) {
            return;
        }
        record Candidate(Topic topic, long lastActivity) {
        }
        List<Candidate> candidates = new ArrayList<>();
        for (Map.Entry<Topic, TopicHistory> e : topics.entrySet()) {
            if (!e.getKey().equals(keep) && !live.contains(e.getKey())) {
                candidates.add(new Candidate(e.getKey(), e.getValue().lastActivity()));
            }
        }
        candidates.sort(Comparator.comparingLong(Candidate::lastActivity));
        for (Candidate c : candidates) {
            if (topics.size() <= target) {
                break;
            }
            TopicHistory history = topics.get(c.topic());
            if (history == null) {
                continue;
            }
            // Mark evicted and write the tombstone before removing: a publish racing the eviction
            // retries until the topic is gone, then recreates it above the tombstone's head, so ids
            // keep increasing.
            EventId head = history.evict();
            synchronized (tombstones) {
                tombstones.put(c.topic(), head);
            }
            topics.remove(c.topic(), history);
        }
    }
}
