package dev.herald.broker.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rules of the in-memory broker that the shared contract does not cover, with a controlled clock. */
class MemoryBrokerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final long START = 1_700_000_000_000L;

    private final AtomicLong clock = new AtomicLong(START);
    private final List<MemoryBroker> brokers = new ArrayList<>();

    @AfterEach
    void close() {
        brokers.forEach(MemoryBroker::close);
    }

    private MemoryBroker broker(int maxEvents, Duration maxAge, int maxTopics, Duration window) {
        MemoryBroker b = new MemoryBroker(new Retention(maxEvents, maxAge, maxTopics, window), clock::get);
        brokers.add(b);
        return b;
    }

    private MemoryBroker broker() {
        return broker(100, Duration.ofHours(1), 1000, Duration.ofMinutes(5));
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(TIMEOUT);
    }

    private static PublishResult publish(MemoryBroker b, Topic topic, String data) {
        return await(b.publish(new PublishRequest(topic, "message", data, null)));
    }

    private static PublishResult publish(MemoryBroker b, Topic topic, String data, String key) {
        return await(b.publish(new PublishRequest(topic, "message", data, key)));
    }

    private static List<EventId> ids(HistoryPage page) {
        return page.events().stream().map(Event::id).toList();
    }

    @Test
    void idsAreClockMillisWithASequenceWithinTheSameMillisecond() {
        MemoryBroker b = broker();
        Topic t = Topic.of("ids");
        assertEquals(new EventId(START, 0), publish(b, t, "1").id());
        assertEquals(new EventId(START, 1), publish(b, t, "2").id());
        clock.addAndGet(5);
        assertEquals(new EventId(START + 5, 0), publish(b, t, "3").id());
        assertEquals(START + 5, await(b.read(t, new EventId(START, 1), 10)).events().get(0).ts());
    }

    @Test
    void idsKeepIncreasingWhenTheClockGoesBackwards() {
        MemoryBroker b = broker();
        Topic t = Topic.of("backwards");
        EventId first = publish(b, t, "1").id();
        clock.addAndGet(-10_000);
        EventId second = publish(b, t, "2").id();
        EventId third = publish(b, t, "3").id();
        assertTrue(second.isAfter(first));
        assertTrue(third.isAfter(second));
    }

    @Test
    void eventsOlderThanMaxAgeAreDropped() {
        MemoryBroker b = broker(100, Duration.ofMinutes(10), 1000, Duration.ofMinutes(5));
        Topic t = Topic.of("aged");
        EventId old1 = publish(b, t, "1").id();
        clock.addAndGet(60_000);
        EventId old2 = publish(b, t, "2").id();
        clock.addAndGet(9 * 60_000);
        EventId fresh = publish(b, t, "3").id();

        // At START + 10 min every event is at most 10 minutes old: all kept.
        assertEquals(List.of(old1, old2, fresh), ids(await(b.read(t, EventId.ZERO, 10))));

        clock.addAndGet(1);
        HistoryPage page = await(b.read(t, EventId.ZERO, 10));
        assertEquals(List.of(old2, fresh), ids(page));
        assertTrue(page.truncated(), "from ZERO, the first event was lost");

        clock.addAndGet(60_000);
        assertEquals(List.of(fresh), ids(await(b.read(t, EventId.ZERO, 10))));
        HistoryPage afterOld1 = await(b.read(t, old1, 10));
        assertTrue(afterOld1.truncated(), "the event after old1 aged out");
        assertEquals(List.of(fresh), ids(afterOld1));
        HistoryPage afterOld2 = await(b.read(t, old2, 10));
        assertFalse(afterOld2.truncated(), "nothing after old2 was lost");
        assertEquals(List.of(fresh), ids(afterOld2));

        clock.addAndGet(10 * 60_000);
        HistoryPage empty = await(b.read(t, old2, 10));
        assertEquals(List.of(), ids(empty));
        assertTrue(empty.truncated());
        assertEquals(fresh, empty.head(), "head survives the trimming of every event");
        assertEquals(fresh, await(b.head(t)));
        assertFalse(await(b.read(t, fresh, 10)).truncated());
    }

    @Test
    void readingAfterTheLastTrimmedEventIsNotTruncated() {
        MemoryBroker b = broker(5, Duration.ofHours(1), 1000, Duration.ofMinutes(5));
        Topic t = Topic.of("boundary");
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(publish(b, t, String.valueOf(i)).id());
        }
        assertTrue(await(b.read(t, ids.get(1), 10)).truncated());
        HistoryPage page = await(b.read(t, ids.get(2), 10));
        assertFalse(page.truncated(), "the newest trimmed event is the floor: nothing after it was lost");
        assertEquals(ids.subList(3, 8), ids(page));
    }

    @Test
    void idleTopicsBeyondMaxTopicsAreEvictedLeastRecentlyPublishedFirst() {
        MemoryBroker b = broker(100, Duration.ofHours(1), 10, Duration.ofMinutes(5));
        for (int i = 0; i < 10; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("topic" + i), "1");
        }
        // topic0 was created first but is the most recently published now.
        clock.incrementAndGet();
        publish(b, Topic.of("topic0"), "2");
        assertEquals(10, b.topicCount());

        clock.incrementAndGet();
        publish(b, Topic.of("topic10"), "1");

        // One topic too many: a sweep evicts down to 90% of the limit, the least recently published first.
        assertEquals(9, b.topicCount());
        List<String> evicted = new ArrayList<>();
        for (int i = 0; i <= 10; i++) {
            HistoryPage page = await(b.read(Topic.of("topic" + i), EventId.ZERO, 10));
            if (page.events().isEmpty()) {
                evicted.add("topic" + i);
            }
        }
        assertEquals(List.of("topic1", "topic2"), evicted, "the least recently published topics go first");
        assertEquals(new EventId(START + 2, 0), await(b.head(Topic.of("topic1"))), "a tombstone keeps the head");
    }

    @Test
    void topicsWithALiveSubscriptionAreNotEvicted() {
        MemoryBroker b = broker(100, Duration.ofHours(1), 10, Duration.ofMinutes(5));
        b.setListener(e -> { });
        Topic watched = Topic.of("watched");
        await(b.subscribe(watched));
        clock.incrementAndGet();
        EventId watchedId = publish(b, watched, "1").id();
        for (int i = 0; i < 30; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("churn" + i), "1");
        }
        assertTrue(b.topicCount() <= 10, "topics " + b.topicCount());
        HistoryPage page = await(b.read(watched, EventId.ZERO, 10));
        assertEquals(List.of(watchedId), ids(page));
        assertFalse(page.truncated());

        await(b.unsubscribe(watched));
        for (int i = 30; i < 60; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("churn" + i), "1");
        }
        assertEquals(List.of(), ids(await(b.read(watched, EventId.ZERO, 10))), "idle again, it can go");
    }

    @Test
    void evictedTopicPositionReadsAsTruncatedEvenAfterTheTopicIsRecreated() {
        MemoryBroker b = broker(100, Duration.ofHours(1), 10, Duration.ofMinutes(5));
        Topic victim = Topic.of("victim");
        clock.incrementAndGet();
        EventId first = publish(b, victim, "1").id();
        EventId second = publish(b, victim, "2").id();
        EventId last = publish(b, victim, "3").id();
        for (int i = 0; i < 10; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("other" + i), "1");
        }
        HistoryPage gone = await(b.read(victim, first, 10));
        assertEquals(List.of(), ids(gone), "victim was evicted");
        assertTrue(gone.truncated(), "a position inside the evicted history lost events");
        assertTrue(await(b.read(victim, EventId.ZERO, 10)).truncated());
        assertEquals(last, gone.head(), "the tombstone keeps the head");
        assertEquals(last, await(b.head(victim)));
        assertFalse(await(b.read(victim, last, 10)).truncated(), "nothing after the head was lost");

        // Recreated by a new publish, even in the same millisecond as the old head.
        clock.set(last.millis());
        EventId recreated = publish(b, victim, "4").id();
        assertTrue(recreated.isAfter(last), recreated + " after " + last);
        assertTrue(await(b.read(victim, first, 10)).truncated());
        assertTrue(await(b.read(victim, second, 10)).truncated());
        assertTrue(await(b.read(victim, EventId.ZERO, 10)).truncated());
        HistoryPage fromHead = await(b.read(victim, last, 10));
        assertFalse(fromHead.truncated());
        assertEquals(List.of(recreated), ids(fromHead));
    }

    @Test
    void aForgottenTombstoneStillMakesAPositionInTheLostHistoryReadAsTruncated() {
        // maxTopics 2 keeps at most 2 tombstones: evicting many topics forgets the victim's.
        MemoryBroker b = broker(100, Duration.ofHours(1), 2, Duration.ofMinutes(5));
        Topic victim = Topic.of("victim");
        clock.incrementAndGet();
        EventId seen = publish(b, victim, "1").id();
        publish(b, victim, "2");
        for (int i = 0; i < 20; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("churn" + i), "1");
        }
        clock.incrementAndGet();
        EventId recreated = publish(b, victim, "3").id();
        HistoryPage page = await(b.read(victim, seen, 10));
        assertTrue(page.truncated(), "event 2 was lost with the topic: the resume must get a reset");
        assertTrue(recreated.isAfter(seen));
    }

    @Test
    void aSubscribersStartingPositionOnAnEmptyTopicSurvivesForgottenTombstones() {
        MemoryBroker b = broker(100, Duration.ofHours(1), 2, Duration.ofMinutes(5));
        for (int i = 0; i < 20; i++) {
            clock.incrementAndGet();
            publish(b, Topic.of("churn" + i), "1");
        }
        Topic fresh = Topic.of("fresh");
        EventId start = await(b.head(fresh)); // what the hub hands a new subscriber as its position
        clock.incrementAndGet();
        EventId first = publish(b, fresh, "1").id();
        HistoryPage page = await(b.read(fresh, start, 10));
        assertFalse(page.truncated(), "nothing was lost after the starting position");
        assertEquals(List.of(first), ids(page));
    }

    @Test
    void idempotencyKeyIsForgottenAfterTheWindow() {
        MemoryBroker b = broker(100, Duration.ofHours(1), 1000, Duration.ofMinutes(5));
        Topic t = Topic.of("idem");
        PublishResult first = publish(b, t, "1", "k");
        clock.addAndGet(Duration.ofMinutes(5).toMillis() - 1);
        PublishResult within = publish(b, t, "1", "k");
        assertTrue(within.duplicate());
        assertEquals(first.id(), within.id());

        clock.addAndGet(1);
        PublishResult after = publish(b, t, "1", "k");
        assertFalse(after.duplicate(), "the key is forgotten once the window has passed");
        assertTrue(after.id().isAfter(first.id()));
        assertTrue(publish(b, t, "1", "k").duplicate(), "and remembered again from the new publish");
        assertEquals(2, await(b.read(t, EventId.ZERO, 10)).events().size());
    }

    @Test
    void idempotencyKeysExpireOneByOneInPublishOrder() {
        MemoryBroker b = broker(100, Duration.ofHours(1), 1000, Duration.ofMinutes(1));
        Topic t = Topic.of("idem-order");
        publish(b, t, "1", "a");
        clock.addAndGet(30_000);
        publish(b, t, "1", "b");
        clock.addAndGet(30_000);
        assertFalse(publish(b, t, "1", "a").duplicate(), "a expired");
        assertTrue(publish(b, t, "1", "b").duplicate(), "b is still within its window");
    }

    @Test
    void positionFromBeforeTheBrokerStartedReadsAsTruncated() {
        MemoryBroker b = broker();
        Topic t = Topic.of("restarted");
        EventId fromPreviousProcess = new EventId(START - 1000, 3);
        HistoryPage neverPublished = await(b.read(t, fromPreviousProcess, 10));
        assertTrue(neverPublished.truncated());

        clock.addAndGet(10);
        EventId id = publish(b, t, "1").id();
        HistoryPage page = await(b.read(t, fromPreviousProcess, 10));
        assertTrue(page.truncated(), "events after that position died with the previous process");
        assertEquals(List.of(id), ids(page));
        assertFalse(await(b.read(t, EventId.ZERO, 10)).truncated(), "ZERO means 'was empty': nothing lost");
    }

    @Test
    void positionAtTheBootInstantIsNotTruncated() {
        MemoryBroker b = broker();
        Topic t = Topic.of("boot");
        EventId first = publish(b, t, "1").id();
        assertEquals(new EventId(START, 0), first);
        EventId second = publish(b, t, "2").id();
        HistoryPage page = await(b.read(t, first, 10));
        assertFalse(page.truncated());
        assertEquals(List.of(second), ids(page));
    }

    /**
     * A publish that raced a subscribe (it looked at the subscriptions before the subscribe, stored
     * after it completed) must still be delivered live: the hub subscribes, then reads history, and
     * an event stored after that read reaches the subscriber only live.
     */
    @Test
    void eventStoredAfterSubscribeCompletedIsDeliveredLiveEvenIfItsPublishStartedBefore() throws Exception {
        MemoryBroker b = broker();
        Topic t = Topic.of("race");
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        CountDownLatch holdingLock = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        b.setListener(e -> {
            received.add(e);
            if (e.data().equals("\"blocker\"")) {
                // Delivered under the topic's lock: holding it here keeps the next publish waiting.
                holdingLock.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        await(b.subscribe(t));
        Thread blocker = new Thread(() -> publish(b, t, "\"blocker\""));
        blocker.start();
        assertTrue(holdingLock.await(5, TimeUnit.SECONDS));

        await(b.unsubscribe(t));
        Thread racer = new Thread(() -> publish(b, t, "\"racer\""));
        racer.start();
        Awaitility.await().atMost(TIMEOUT).until(() -> racer.getState() == Thread.State.BLOCKED);
        // The racer is past its checks and waits for the topic lock. Subscribe again, then let it store.
        await(b.subscribe(t));
        release.countDown();
        blocker.join(5000);
        racer.join(5000);

        assertEquals("\"blocker\"", received.poll(5, TimeUnit.SECONDS).data());
        Event racerEvent = received.poll(5, TimeUnit.SECONDS);
        assertNotNull(racerEvent, "the racer's event was stored after the subscribe completed but not delivered");
        assertEquals("\"racer\"", racerEvent.data());
    }

    /** The mirror case: once unsubscribe completed, an event stored later is not delivered. */
    @Test
    void eventStoredAfterUnsubscribeCompletedIsNotDeliveredEvenIfItsPublishStartedBefore() throws Exception {
        MemoryBroker b = broker();
        Topic t = Topic.of("race-off");
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        CountDownLatch holdingLock = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        b.setListener(e -> {
            received.add(e);
            if (e.data().equals("\"blocker\"")) {
                holdingLock.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        await(b.subscribe(t));
        Thread blocker = new Thread(() -> publish(b, t, "\"blocker\""));
        blocker.start();
        assertTrue(holdingLock.await(5, TimeUnit.SECONDS));

        Thread racer = new Thread(() -> publish(b, t, "\"racer\""));
        racer.start();
        Awaitility.await().atMost(TIMEOUT).until(() -> racer.getState() == Thread.State.BLOCKED);
        await(b.unsubscribe(t));
        release.countDown();
        blocker.join(5000);
        racer.join(5000);
        assertFalse(racer.isAlive());

        assertEquals("\"blocker\"", received.poll(5, TimeUnit.SECONDS).data());
        assertEquals(List.of(), new ArrayList<>(received), "delivered after unsubscribe completed");
        assertEquals(2, await(b.read(t, EventId.ZERO, 10)).events().size());
    }

    /**
     * A publish to a topic while a sweep is about to evict it must still get an id after every earlier
     * id of the topic. (Here the sweep waits for the topic's lock while it collects candidates; the
     * narrower window between removing the topic and writing its tombstone is not reached by this test.)
     */
    @Test
    void publishRacingTheEvictionOfItsTopicStillGetsAGreaterId() throws Exception {
        MemoryBroker b = broker(100, Duration.ofHours(1), 2, Duration.ofMinutes(5));
        Topic victim = Topic.of("victim");
        CountDownLatch holdingLock = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        b.setListener(e -> {
            if (e.data().equals("\"blocker\"")) {
                holdingLock.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        // Every publish happens in the same millisecond: ids differ by their sequence only.
        publish(b, victim, "1");
        publish(b, victim, "2");
        await(b.subscribe(victim));
        List<EventId> victimIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread blocker = new Thread(() -> victimIds.add(publish(b, victim, "\"blocker\"").id()));
        blocker.start();
        assertTrue(holdingLock.await(5, TimeUnit.SECONDS)); // the victim's lock is held
        await(b.unsubscribe(victim)); // idle now: it can be evicted
        clock.incrementAndGet();
        publish(b, Topic.of("x"), "1");

        // A third topic starts a sweep that picks the victim and waits for its lock.
        clock.incrementAndGet();
        Thread evictor = new Thread(() -> publish(b, Topic.of("y"), "1"));
        evictor.start();
        Awaitility.await().atMost(TIMEOUT).until(() -> evictor.getState() == Thread.State.BLOCKED);
        // Meanwhile a publisher comes for the victim, in the millisecond of its head.
        clock.set(START);
        Thread racer = new Thread(() -> victimIds.add(publish(b, victim, "\"racer\"").id()));
        racer.start();
        Awaitility.await().atMost(TIMEOUT).until(() -> racer.getState() == Thread.State.BLOCKED
                || racer.getState() == Thread.State.TERMINATED);
        release.countDown();
        for (Thread t : List.of(blocker, evictor, racer)) {
            t.join(5000);
            assertFalse(t.isAlive());
        }

        assertEquals(2, victimIds.size());
        assertTrue(victimIds.contains(new EventId(START, 2)), "blocker " + victimIds);
        EventId racerId = victimIds.stream().filter(id -> !id.equals(new EventId(START, 2))).findFirst().orElseThrow();
        assertTrue(racerId.isAfter(new EventId(START, 2)), "the racer got " + racerId
                + ", not after the blocker's " + new EventId(START, 2));
        EventId head = await(b.head(victim));
        assertEquals(racerId, head);
    }
}
