package dev.herald.broker.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The memory broker's node-wide bounds: all history and all idempotency keys of the node, whatever
 * the number of topics they are spread over (what a client allowed to publish to {@code room:*}
 * controls).
 */
class MemoryBrokerBudgetTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final long START = 1_700_000_000_000L;

    private final AtomicLong clock = new AtomicLong(START);
    private final List<MemoryBroker> brokers = new ArrayList<>();
    private final Map<String, Long> counted = new ConcurrentHashMap<>();
    private final BrokerMetrics metrics = new BrokerMetrics() {
        @Override
        public void historyEvicted(String broker, String reason, int events) {
            counted.merge(broker + ":" + reason, (long) events, Long::sum);
        }

        @Override
        public void idempotencyKeysEvicted(String broker, int keys) {
            counted.merge(broker + ":keys", (long) keys, Long::sum);
        }

        @Override
        public void heldInMemory(String broker, String what, LongSupplier bytes, long maxBytes) {
            counted.put(broker + ":" + what + ":max", maxBytes);
        }
    };

    @AfterEach
    void close() {
        brokers.forEach(MemoryBroker::close);
    }

    private MemoryBroker broker(int maxEvents, int maxTopics, long perTopic, long perNode, long keys) {
        MemoryBroker b = new MemoryBroker(new Retention(maxEvents, Duration.ofHours(1), maxTopics,
                Duration.ofMinutes(5), new Retention.ByteLimits(perTopic, perNode, keys)), clock::get, metrics);
        brokers.add(b);
        return b;
    }

    private static PublishResult publish(MemoryBroker b, Topic topic, String data, String key) {
        return b.publish(new PublishRequest(topic, "message", data, key)).await().atMost(TIMEOUT);
    }

    private static HistoryPage read(MemoryBroker b, Topic topic, EventId after) {
        return b.read(topic, after, 1000).await().atMost(TIMEOUT);
    }

    private static String data(int bytes) {
        return "\"" + "x".repeat(bytes - 2) + "\"";
    }

    /** What the retained events of these topics cost, summed from what is actually in history. */
    private static long retainedCost(MemoryBroker b, List<Topic> topics) {
        long sum = 0;
        for (Topic t : topics) {
            for (Event e : read(b, t, EventId.ZERO).events()) {
                sum += StoredEvent.costOf(e, false);
            }
        }
        return sum;
    }

    @Test
    void publishingToManyTopicsEvictsTheOldestEventsOfAnyTopicBeyondTheNodeBudget() {
        long budget = 100 << 10;
        MemoryBroker b = broker(1000, 100_000, 1 << 20, budget, 1 << 20);
        List<Topic> topics = new ArrayList<>();
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            clock.incrementAndGet();
            Topic t = Topic.of("room:flood-" + i);
            topics.add(t);
            ids.add(publish(b, t, data(1024), null).id());
        }

        assertTrue(b.historyBytes() <= budget, b.historyBytes() + " bytes held, budget " + budget);
        assertEquals(retainedCost(b, topics), b.historyBytes(), "the count matches what is held");
        int firstKept = 0;
        while (read(b, topics.get(firstKept), EventId.ZERO).events().isEmpty()) {
            firstKept++;
        }
        assertTrue(firstKept > 200, "most of 300 KiB of data does not fit 100 KiB: " + firstKept + " evicted");
        for (int i = firstKept; i < topics.size(); i++) {
            assertEquals(List.of(ids.get(i)), read(b, topics.get(i), EventId.ZERO).events().stream()
                    .map(Event::id).toList(), "the newest events are kept, in every topic after the first kept");
        }
        assertEquals((long) firstKept, counted.get("memory:node-bytes"), "every eviction is counted");
        assertEquals(budget, counted.get("memory:history:max"));
    }

    @Test
    void anEvictionByTheNodeBudgetMovesTheTopicsFloorSoAResumeFromBeforeItGetsAReset() {
        MemoryBroker b = broker(1000, 100_000, 1 << 20, 40 << 10, 1 << 20);
        Topic victim = Topic.of("room:victim");
        b.subscribe(victim).await().atMost(TIMEOUT); // a live topic's events can be evicted too
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clock.incrementAndGet();
            ids.add(publish(b, victim, data(1024), null).id());
        }
        for (int i = 0; i < 40; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("room:other-" + i), data(1024), null);
        }

        HistoryPage page = read(b, victim, ids.get(0));
        assertTrue(page.truncated(), "events after the position were evicted: a reset, not a silent gap");
        assertEquals(List.of(), page.events());
        assertEquals(ids.get(2), page.head());
        assertFalse(read(b, victim, ids.get(2)).truncated(), "a subscriber that had everything lost nothing");
        clock.set(START); // even with the clock behind, the next id is after the evicted ones
        assertTrue(publish(b, victim, "1", null).id().isAfter(ids.get(2)));
    }

    @Test
    void eventsDroppedByCountAgeOrTopicEvictionGiveTheirBytesBack() {
        MemoryBroker b = broker(5, 3, 1 << 20, 1 << 20, 1 << 20);
        Topic busy = Topic.of("room:busy");
        for (int i = 0; i < 100; i++) {
            publish(b, busy, data(100), null);
        }
        assertEquals(retainedCost(b, List.of(busy)), b.historyBytes());
        assertEquals(5 * StoredEvent.costOf(read(b, busy, EventId.ZERO).events().get(0), false), b.historyBytes());

        List<Topic> churn = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            clock.incrementAndGet();
            Topic t = Topic.of("room:churn-" + i);
            churn.add(t);
            publish(b, t, data(100), null);
        }
        assertTrue(b.topicCount() <= 3);
        churn.add(busy);
        assertEquals(retainedCost(b, churn), b.historyBytes(), "evicted topics released their events");

        clock.addAndGet(Duration.ofHours(2).toMillis());
        for (Topic t : churn) {
            read(b, t, EventId.ZERO); // trims by age
        }
        assertEquals(0, b.historyBytes(), "events older than max age released their bytes");
    }

    /** Four threads publish to fifty topics under a budget a tenth of what they publish. */
    @Test
    void concurrentPublishersToManyTopicsKeepTheCountExactAndTheNodeWithinItsBudget() throws Exception {
        long budget = 64 << 10;
        MemoryBroker b = broker(1000, 100_000, 16 << 10, budget, 1 << 20);
        List<Topic> topics = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            topics.add(Topic.of("room:race-" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 500; i++) {
                        publish(b, topics.get((i * 7 + thread * 13) % topics.size()), data(300), null);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(b.historyBytes() <= budget, b.historyBytes() + " bytes held, budget " + budget);
        assertEquals(retainedCost(b, topics), b.historyBytes(), "no drop was lost or counted twice");
    }

    @Test
    void aFloodOfIdempotencyKeysAcrossTopicsIsBoundedForgettingTheOldestKeysFirst() {
        long budget = 20 << 10;
        MemoryBroker b = broker(1000, 100_000, 1 << 20, 1 << 20, budget);
        List<PublishResult> results = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            clock.incrementAndGet();
            results.add(publish(b, Topic.of("room:keys-" + i % 100), "1", "key-" + i));
        }

        assertTrue(b.idempotencyBytes() <= budget, b.idempotencyBytes() + " bytes of keys, budget " + budget);
        PublishResult newest = publish(b, Topic.of("room:keys-99"), "1", "key-999");
        assertTrue(newest.duplicate(), "the newest key is remembered");
        assertEquals(results.get(999).id(), newest.id());
        assertFalse(publish(b, Topic.of("room:keys-0"), "1", "key-0").duplicate(), "the oldest key was forgotten");
        long evicted = counted.getOrDefault("memory:keys", 0L);
        assertTrue(evicted >= 1000 - budget / IdempotencyKeys.FIXED_COST, "forgotten keys are counted: " + evicted);
    }

    @Test
    void aRetryAfterItsTopicWasEvictedIsStillRecognisedAsADuplicate() {
        MemoryBroker b = broker(100, 2, 1 << 20, 1 << 20, 1 << 20);
        Topic t = Topic.of("room:evicted");
        PublishResult first = publish(b, t, "1", "retry-me");
        for (int i = 0; i < 10; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("room:churn-" + i), "1", null);
        }
        assertEquals(List.of(), read(b, t, EventId.ZERO).events(), "the topic was evicted with its history");

        PublishResult retry = publish(b, t, "1", "retry-me");
        assertTrue(retry.duplicate(), "idempotency keys outlive the eviction of their topic's history");
        assertEquals(first.id(), retry.id());
    }
}
