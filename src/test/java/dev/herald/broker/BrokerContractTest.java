package dev.herald.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Broker} keeps (see its Javadoc). Each backend extends this class with a
 * factory for n nodes sharing one backend: the memory broker returns one broker n times, the Redis
 * broker n brokers on one Redis. Tests use a unique topic prefix, so a shared backend needs no flush.
 */
public abstract class BrokerContractTest {

    /**
     * The retention every broker returned by {@link #brokers(int)} must be configured with: 256 KiB of
     * history per topic, far above what the tests other than the byte-limit ones store in a topic.
     */
    protected static final Retention CONTRACT_RETENTION =
            new Retention(200, Duration.ofHours(1), 100_000, Duration.ofMinutes(5),
                    new Retention.ByteLimits(256 << 10, 64 << 20, 16 << 20));

    protected static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<Broker> created = new ArrayList<>();
    private ExecutorService pool;
    /** Unique per test: a shared backend isolates the tests by topic name. */
    protected String prefix;

    /**
     * n nodes on one shared backend, configured with {@link #retention()}. A listener is not set yet.
     */
    protected abstract List<Broker> brokers(int n);

    /** The retention the brokers were built with. */
    protected Retention retention() {
        return CONTRACT_RETENTION;
    }

    @BeforeEach
    void setUpContract() {
        prefix = "t" + UUID.randomUUID().toString().replace("-", "");
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterEach
    void closeBrokers() {
        pool.shutdownNow();
        for (Broker b : created) {
            b.close();
        }
        created.clear();
    }

    protected List<Broker> nodes(int n) {
        List<Broker> nodes = brokers(n);
        assertEquals(n, nodes.size());
        created.addAll(nodes);
        return nodes;
    }

    protected Broker node() {
        return nodes(1).get(0);
    }

    protected Topic topic(String name) {
        return Topic.of(prefix + ":" + name);
    }

    protected static <T> T await(Uni<T> uni) {
        return uni.await().atMost(TIMEOUT);
    }

    protected static PublishResult publish(Broker broker, Topic topic, String data) {
        return await(broker.publish(new PublishRequest(topic, "message", data, null)));
    }

    protected static PublishResult publish(Broker broker, Topic topic, String data, String key) {
        return await(broker.publish(new PublishRequest(topic, "message", data, key)));
    }

    /** Every retained event of the topic after {@code after}, all pages. */
    protected static List<Event> readAll(Broker broker, Topic topic, EventId after) {
        List<Event> all = new ArrayList<>();
        EventId from = after;
        while (true) {
            HistoryPage page = await(broker.read(topic, from, 50));
            all.addAll(page.events());
            if (page.events().isEmpty()) {
                return all;
            }
            from = page.events().get(page.events().size() - 1).id();
        }
    }

    protected static List<EventId> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    protected static void assertStrictlyIncreasing(List<EventId> ids) {
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(ids.get(i).isAfter(ids.get(i - 1)),
                    "id " + ids.get(i) + " at " + i + " is not after " + ids.get(i - 1));
        }
    }

    /** Waits for the next live event, failing after the timeout. */
    protected static Event next(BlockingQueue<Event> queue) throws InterruptedException {
        Event e = queue.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(e, "no live event within " + TIMEOUT);
        return e;
    }

    /** Waits for the live event with this id on this topic, collecting every other one on the way. */
    protected static List<Event> until(BlockingQueue<Event> queue, Topic topic, EventId id)
            throws InterruptedException {
        List<Event> seen = new ArrayList<>();
        while (true) {
            Event e = next(queue);
            seen.add(e);
            if (e.topic().equals(topic) && e.id().equals(id)) {
                return seen;
            }
        }
    }

    private List<Future<List<PublishResult>>> publishConcurrently(List<Broker> nodes, List<Topic> topics,
                                                                  int threads, int perThreadPerTopic) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<PublishResult>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Broker broker = nodes.get(t % nodes.size());
            futures.add(pool.submit(() -> {
                start.await();
                List<PublishResult> results = new ArrayList<>();
                for (int i = 0; i < perThreadPerTopic; i++) {
                    for (Topic topic : topics) {
                        results.add(publish(broker, topic, "{\"thread\":" + thread + ",\"i\":" + i + "}"));
                    }
                }
                return results;
            }));
        }
        start.countDown();
        return futures;
    }

    private static List<PublishResult> join(List<Future<List<PublishResult>>> futures) throws Exception {
        List<PublishResult> all = new ArrayList<>();
        for (Future<List<PublishResult>> f : futures) {
            all.addAll(f.get(30, TimeUnit.SECONDS));
        }
        return all;
    }

    // ---- ids ----

    @Test
    void idsAreStrictlyIncreasingWithinATopic() {
        Broker broker = node();
        Topic topic = topic("seq");
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            PublishResult r = publish(broker, topic, "{\"i\":" + i + "}");
            assertFalse(r.duplicate());
            assertEquals(topic, r.topic());
            ids.add(r.id());
        }
        assertStrictlyIncreasing(ids);
        List<EventId> history = ids(readAll(broker, topic, EventId.ZERO));
        assertEquals(ids.subList(ids.size() - history.size(), ids.size()), history);
    }

    @Test
    void idsStayDistinctAndOrderedWhenFourThreadsPublishToOneTopic() throws Exception {
        List<Broker> nodes = nodes(2);
        Topic shared = topic("shared");
        Topic other = topic("other");
        int perThread = retention().maxEvents() / 4;
        List<PublishResult> results = join(publishConcurrently(nodes, List.of(shared, other), 4, perThread));

        for (Topic topic : List.of(shared, other)) {
            List<EventId> published = results.stream().filter(r -> r.topic().equals(topic))
                    .map(PublishResult::id).toList();
            assertEquals(4 * perThread, published.size());
            assertEquals(published.size(), new HashSet<>(published).size(), "duplicate ids in " + topic);
            List<EventId> history = ids(readAll(nodes.get(0), topic, EventId.ZERO));
            assertStrictlyIncreasing(history);
            List<EventId> sorted = new ArrayList<>(published);
            Collections.sort(sorted);
            assertEquals(sorted, history, "history of " + topic + " is every published id, in id order");
        }
    }

    @Test
    void eachThreadSeesItsOwnPublishesInIncreasingIdOrder() throws Exception {
        List<Broker> nodes = nodes(2);
        Topic topic = topic("per-thread");
        List<Future<List<PublishResult>>> futures = publishConcurrently(nodes, List.of(topic), 4, 40);
        for (Future<List<PublishResult>> f : futures) {
            assertStrictlyIncreasing(f.get(30, TimeUnit.SECONDS).stream().map(PublishResult::id).toList());
        }
    }

    // ---- live delivery ----

    @Test
    void eventPublishedOnOneNodeIsReceivedLiveOnAnotherAfterItSubscribed() throws Exception {
        List<Broker> nodes = nodes(2);
        Broker a = nodes.get(0);
        Broker b = nodes.get(1);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        b.setListener(received::add);
        Topic topic = topic("live");
        await(b.subscribe(topic));

        PublishResult r = await(a.publish(new PublishRequest(topic, "price", "{\"bid\":1.5}", null)));

        Event e = next(received);
        assertEquals(topic, e.topic());
        assertEquals(r.id(), e.id());
        assertEquals("price", e.type());
        assertEquals("{\"bid\":1.5}", e.data());
        assertTrue(e.ts() > 0);
    }

    @Test
    void liveEventEqualsTheStoredOne() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        nodes.get(1).setListener(received::add);
        Topic topic = topic("same");
        await(nodes.get(1).subscribe(topic));
        PublishResult r = publish(nodes.get(0), topic, "[1,2,3]");
        Event live = next(received);
        Event stored = await(nodes.get(0).read(topic, EventId.ZERO, 10)).events().get(0);
        assertEquals(r.id(), stored.id());
        assertEquals(stored.envelope(), live.envelope());
    }

    @Test
    void aTracedEventKeepsItsTraceparentLiveOnAnotherNodeAndInHistory() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        nodes.get(1).setListener(received::add);
        Topic topic = topic("traced");
        await(nodes.get(1).subscribe(topic));
        String trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        PublishResult untraced = publish(nodes.get(0), topic, "1");
        PublishResult traced = await(nodes.get(0).publish(new PublishRequest(topic, "message", "2", null, trace)));

        Event first = next(received);
        Event live = next(received);
        assertEquals(untraced.id(), first.id());
        assertNull(first.trace(), "an event published untraced carries no trace");
        assertEquals(traced.id(), live.id());
        assertEquals(trace, live.trace());
        List<Event> stored = readAll(nodes.get(1), topic, EventId.ZERO);
        assertEquals(List.of(untraced.id(), traced.id()), ids(stored));
        assertNull(stored.get(0).trace());
        assertEquals(trace, stored.get(1).trace());
        assertEquals(stored.get(1).envelope(), live.envelope());
        assertTrue(live.envelope().endsWith(",\"traceparent\":\"" + trace + "\"}"), live.envelope());
    }

    @Test
    void noLiveDeliveryForTopicsNotSubscribed() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        nodes.get(1).setListener(received::add);
        Topic subscribed = topic("subscribed");
        Topic notSubscribed = topic("not-subscribed");
        await(nodes.get(1).subscribe(subscribed));

        publish(nodes.get(0), notSubscribed, "1");
        publish(nodes.get(0), notSubscribed, "2");
        // A marker on a subscribed topic, published last: once it arrived, earlier events would have too.
        PublishResult marker = publish(nodes.get(0), subscribed, "\"marker\"");

        List<Event> seen = until(received, subscribed, marker.id());
        assertEquals(List.of(marker.id()), ids(seen));
        assertTrue(received.isEmpty(), "unexpected live events: " + received);
    }

    @Test
    void noLiveDeliveryAfterUnsubscribe() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        Broker b = nodes.get(1);
        b.setListener(received::add);
        Topic topic = topic("leaving");
        Topic marker = topic("marker");
        await(b.subscribe(topic));
        await(b.subscribe(marker));

        PublishResult before = publish(nodes.get(0), topic, "1");
        assertEquals(before.id(), next(received).id());

        await(b.unsubscribe(topic));
        publish(nodes.get(0), topic, "2");
        PublishResult last = publish(nodes.get(0), marker, "\"marker\"");

        List<Event> seen = until(received, marker, last.id());
        assertEquals(List.of(last.id()), ids(seen), "events delivered after unsubscribe: " + seen);
        assertTrue(received.isEmpty(), "unexpected live events: " + received);
    }

    @Test
    void resubscribingResumesLiveDelivery() throws Exception {
        Broker broker = node();
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        broker.setListener(received::add);
        Topic topic = topic("again");
        await(broker.subscribe(topic));
        await(broker.unsubscribe(topic));
        await(broker.subscribe(topic));
        PublishResult r = publish(broker, topic, "1");
        assertEquals(r.id(), next(received).id());
    }

    @Test
    void liveDeliveryOrderEqualsIdOrderUnderConcurrentPublishers() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        nodes.get(1).setListener(received::add);
        Topic one = topic("one");
        Topic two = topic("two");
        await(nodes.get(1).subscribe(one));
        await(nodes.get(1).subscribe(two));

        List<PublishResult> results = join(publishConcurrently(nodes, List.of(one, two), 4, 50));

        Set<EventId> expectedOne = new HashSet<>();
        Set<EventId> expectedTwo = new HashSet<>();
        for (PublishResult r : results) {
            (r.topic().equals(one) ? expectedOne : expectedTwo).add(r.id());
        }
        List<EventId> liveOne = new ArrayList<>();
        List<EventId> liveTwo = new ArrayList<>();
        while (liveOne.size() < expectedOne.size() || liveTwo.size() < expectedTwo.size()) {
            Event e = next(received);
            (e.topic().equals(one) ? liveOne : liveTwo).add(e.id());
        }
        // The contract allows a repeated delivery, never an out-of-order one: drop exact repeats.
        liveOne = dropRepeats(liveOne);
        liveTwo = dropRepeats(liveTwo);
        assertStrictlyIncreasing(liveOne);
        assertStrictlyIncreasing(liveTwo);
        assertEquals(expectedOne, new HashSet<>(liveOne));
        assertEquals(expectedTwo, new HashSet<>(liveTwo));
    }

    private static List<EventId> dropRepeats(List<EventId> ids) {
        List<EventId> out = new ArrayList<>();
        Set<EventId> seen = new HashSet<>();
        for (EventId id : ids) {
            if (seen.add(id)) {
                out.add(id);
            }
        }
        return out;
    }

    /**
     * The hub's handoff: subscribe, then read history from the position it had. Every event published
     * meanwhile must show up in the history or live (or both), never in neither.
     */
    @Test
    void subscribeThenReadMissesNoEventPublishedConcurrently() throws Exception {
        List<Broker> nodes = nodes(2);
        Broker publisher = nodes.get(0);
        Broker subscriber = nodes.get(1);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        subscriber.setListener(received::add);

        for (int round = 0; round < 30; round++) {
            Topic topic = topic("handoff" + round);
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch someout = new CountDownLatch(3);
            Future<List<EventId>> published = pool.submit(() -> {
                List<EventId> ids = new ArrayList<>();
                while (!stop.get() && ids.size() < retention().maxEvents() - 10) {
                    ids.add(publish(publisher, topic, "{\"n\":" + ids.size() + "}").id());
                    someout.countDown();
                }
                return ids;
            });
            assertTrue(someout.await(5, TimeUnit.SECONDS));
            await(subscriber.subscribe(topic));
            List<Event> history = readAll(subscriber, topic, EventId.ZERO);
            stop.set(true);
            List<EventId> all = published.get(10, TimeUnit.SECONDS);

            Set<EventId> seen = new HashSet<>(ids(history));
            EventId last = all.get(all.size() - 1);
            if (!seen.contains(last)) {
                for (Event e : until(received, topic, last)) {
                    if (e.topic().equals(topic)) {
                        seen.add(e.id());
                    }
                }
            }
            for (EventId id : all) {
                assertTrue(seen.contains(id), "round " + round + ": event " + id + " was neither in the history"
                        + " read after subscribing nor delivered live");
            }
            await(subscriber.unsubscribe(topic));
            received.clear();
        }
    }

    // ---- history ----

    /**
     * Publishes to one topic at once through several nodes, then a resume from each stored event: every
     * cursor reads exactly the events after it, never a reset. (On a JetStream cluster of nats-server
     * before 2.9.21 two such publishes can both be stored naming the same predecessor; a resume from the
     * first of them was answered as truncated.)
     */
    @Test
    void publishesToOneTopicAtOnceThroughSeveralNodesResumeFromEveryEventWithoutAReset() throws Exception {
        List<Broker> brokers = nodes(3);
        Topic topic = topic("raced");
        int rounds = 25;
        Set<EventId> accepted = new HashSet<>();
        accepted.add(publish(brokers.get(0), topic, "{\"round\":-1}").id()); // the first await sets Mutiny up, alone
        for (int round = 0; round < rounds; round++) {
            CyclicBarrier together = new CyclicBarrier(brokers.size());
            List<Future<PublishResult>> calls = new ArrayList<>();
            for (Broker broker : brokers) {
                String data = "{\"round\":" + round + "}";
                calls.add(pool.submit(() -> {
                    together.await();
                    return publish(broker, topic, data);
                }));
            }
            for (Future<PublishResult> call : calls) {
                assertTrue(accepted.add(call.get(10, TimeUnit.SECONDS).id()), "each publish stored once");
            }
        }
        List<EventId> stored = ids(readAll(brokers.get(0), topic, EventId.ZERO));
        assertEquals(1 + rounds * brokers.size(), stored.size());
        assertEquals(accepted, new HashSet<>(stored));
        assertStrictlyIncreasing(stored);
        for (int i = 0; i < stored.size(); i++) {
            HistoryPage page = await(brokers.get(i % brokers.size()).read(topic, stored.get(i), 500));
            assertFalse(page.truncated(), "a resume from " + stored.get(i) + " (event " + i + ") is no reset");
            assertEquals(stored.subList(i + 1, stored.size()), ids(page.events()));
        }
    }

    @Test
    void readReturnsExactlyTheEventsAfterAPositionOldestFirst() {
        Broker broker = node();
        Topic topic = topic("history");
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(publish(broker, topic, "{\"i\":" + i + "}").id());
        }
        HistoryPage page = await(broker.read(topic, ids.get(3), 100));
        assertEquals(ids.subList(4, 10), ids(page.events()));
        assertEquals("{\"i\":4}", page.events().get(0).data());
        assertFalse(page.truncated());
        assertEquals(ids.get(9), page.head());

        HistoryPage atHead = await(broker.read(topic, ids.get(9), 100));
        assertEquals(List.of(), atHead.events());
        assertFalse(atHead.truncated());
        assertEquals(ids.get(9), atHead.head());
    }

    @Test
    void readIsPagedByLimit() {
        Broker broker = node();
        Topic topic = topic("paged");
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(publish(broker, topic, String.valueOf(i)).id());
        }
        HistoryPage first = await(broker.read(topic, EventId.ZERO, 4));
        assertEquals(ids.subList(0, 4), ids(first.events()));
        HistoryPage second = await(broker.read(topic, ids.get(3), 4));
        assertEquals(ids.subList(4, 8), ids(second.events()));
        HistoryPage third = await(broker.read(topic, ids.get(7), 4));
        assertEquals(ids.subList(8, 10), ids(third.events()));
        assertFalse(first.truncated() || second.truncated() || third.truncated());
        HistoryPage one = await(broker.read(topic, ids.get(0), 1));
        assertEquals(List.of(ids.get(1)), ids(one.events()));
    }

    @Test
    void readAfterAPositionBetweenIdsReturnsTheEventsAfterIt() {
        Broker broker = node();
        Topic topic = topic("between");
        EventId first = publish(broker, topic, "1").id();
        EventId second = publish(broker, topic, "2").id();
        // first.next() is not an id in the topic unless second happens to be exactly it.
        HistoryPage page = await(broker.read(topic, first.next(), 10));
        assertEquals(second.equals(first.next()) ? List.of() : List.of(second), ids(page.events()));
    }

    @Test
    void readFromZeroReturnsFromTheOldestRetained() {
        Broker broker = node();
        Topic topic = topic("fromzero");
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(publish(broker, topic, String.valueOf(i)).id());
        }
        HistoryPage page = await(broker.read(topic, EventId.ZERO, 100));
        assertEquals(ids, ids(page.events()));
        assertFalse(page.truncated());
    }

    @Test
    void readFromZeroAfterTrimmingStartsAtTheOldestRetained() {
        Broker broker = node();
        Topic topic = topic("fromzero-trimmed");
        int max = retention().maxEvents();
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < max + 10; i++) {
            ids.add(publish(broker, topic, String.valueOf(i)).id());
        }
        List<Event> page = await(broker.read(topic, EventId.ZERO, 5)).events();
        assertEquals(ids.subList(10, 15), ids(page));
    }

    @Test
    void readOfANeverPublishedTopicIsEmpty() {
        Broker broker = node();
        HistoryPage page = await(broker.read(topic("never"), EventId.ZERO, 10));
        assertEquals(List.of(), page.events());
        assertFalse(page.truncated());
        assertEquals(EventId.ZERO, page.head());
    }

    @Test
    void headIsZeroForANeverPublishedTopicAndTheLastIdOtherwise() {
        List<Broker> nodes = nodes(2);
        Topic topic = topic("head");
        assertEquals(EventId.ZERO, await(nodes.get(0).head(topic)));
        EventId last = null;
        for (int i = 0; i < 3; i++) {
            last = publish(nodes.get(0), topic, String.valueOf(i)).id();
            assertEquals(last, await(nodes.get(0).head(topic)));
            assertEquals(last, await(nodes.get(1).head(topic)));
        }
        assertEquals(EventId.ZERO, await(nodes.get(1).head(topic("other"))));
    }

    @Test
    void eventsAreSeenOnEveryNode() {
        List<Broker> nodes = nodes(2);
        Topic topic = topic("shared-history");
        EventId a = publish(nodes.get(0), topic, "\"a\"").id();
        EventId b = publish(nodes.get(1), topic, "\"b\"").id();
        assertTrue(b.isAfter(a));
        for (Broker node : nodes) {
            assertEquals(List.of(a, b), ids(await(node.read(topic, EventId.ZERO, 10)).events()));
        }
    }

    @Test
    void storedEventKeepsTypeDataAndTopic() {
        Broker broker = node();
        Topic topic = topic("fields");
        long before = System.currentTimeMillis();
        PublishResult r = await(broker.publish(new PublishRequest(topic, "chat.message", "{\"text\":\"hé \\\"x\\\"\"}", null)));
        Event e = await(broker.read(topic, EventId.ZERO, 1)).events().get(0);
        assertEquals(r.id(), e.id());
        assertEquals(topic, e.topic());
        assertEquals("chat.message", e.type());
        assertEquals("{\"text\":\"hé \\\"x\\\"\"}", e.data());
        assertTrue(e.ts() >= before - 60_000 && e.ts() <= System.currentTimeMillis() + 60_000, "ts " + e.ts());
    }

    // ---- idempotency ----

    @Test
    void sameIdempotencyKeyOnTheSameTopicIsADuplicateWithTheOriginalId() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        nodes.get(1).setListener(received::add);
        Topic topic = topic("idem");
        await(nodes.get(1).subscribe(topic));

        PublishResult original = publish(nodes.get(0), topic, "\"first\"", "key-1");
        assertFalse(original.duplicate());
        assertEquals(original.id(), next(received).id());

        PublishResult again = publish(nodes.get(1), topic, "\"second\"", "key-1");
        assertTrue(again.duplicate());
        assertEquals(original.id(), again.id());
        assertEquals(topic, again.topic());

        PublishResult marker = publish(nodes.get(0), topic, "\"marker\"");
        assertEquals(List.of(marker.id()), ids(until(received, topic, marker.id())), "the duplicate was delivered");
        List<Event> history = await(nodes.get(0).read(topic, EventId.ZERO, 10)).events();
        assertEquals(List.of(original.id(), marker.id()), ids(history));
        assertEquals("\"first\"", history.get(0).data());
        assertEquals(marker.id(), await(nodes.get(0).head(topic)));
    }

    @Test
    void sameIdempotencyKeyOnAnotherTopicIsIndependent() {
        Broker broker = node();
        Topic a = topic("idem-a");
        Topic b = topic("idem-b");
        PublishResult first = publish(broker, a, "1", "shared-key");
        PublishResult second = publish(broker, b, "2", "shared-key");
        assertFalse(first.duplicate());
        assertFalse(second.duplicate());
        assertEquals(1, await(broker.read(b, EventId.ZERO, 10)).events().size());
        assertTrue(publish(broker, a, "1", "shared-key").duplicate());
        assertTrue(publish(broker, b, "2", "shared-key").duplicate());
    }

    @Test
    void differentIdempotencyKeysAreDifferentEvents() {
        Broker broker = node();
        Topic topic = topic("idem-diff");
        PublishResult a = publish(broker, topic, "1", "k1");
        PublishResult b = publish(broker, topic, "1", "k2");
        PublishResult c = publish(broker, topic, "1");
        PublishResult d = publish(broker, topic, "1");
        assertFalse(a.duplicate() || b.duplicate() || c.duplicate() || d.duplicate());
        assertEquals(4, new HashSet<>(List.of(a.id(), b.id(), c.id(), d.id())).size());
    }

    // ---- retention and truncation ----

    @Test
    void retentionByCountKeepsOnlyTheNewestEvents() {
        Broker broker = node();
        Topic topic = topic("count");
        int max = retention().maxEvents();
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < max + 10; i++) {
            ids.add(publish(broker, topic, String.valueOf(i)).id());
        }
        List<EventId> retained = ids(readAll(broker, topic, EventId.ZERO));
        assertEquals(ids.subList(10, max + 10), retained);
        assertEquals(ids.get(ids.size() - 1), await(broker.head(topic)));
    }

    @Test
    void readingAfterATrimmedPositionSaysTruncated() {
        Broker broker = node();
        Topic topic = topic("trimmed");
        int max = retention().maxEvents();
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < max + 10; i++) {
            ids.add(publish(broker, topic, String.valueOf(i)).id());
        }
        for (int trimmed : new int[] {0, 5, 8}) {
            HistoryPage page = await(broker.read(topic, ids.get(trimmed), 10));
            assertTrue(page.truncated(), "after trimmed event " + trimmed);
            assertEquals(ids.get(ids.size() - 1), page.head());
        }
        assertTrue(await(broker.read(topic, EventId.ZERO, 10)).truncated(), "from ZERO, events were lost");
    }

    @Test
    void readingAfterARetainedPositionIsNotTruncated() {
        Broker broker = node();
        Topic topic = topic("retained");
        int max = retention().maxEvents();
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < max + 10; i++) {
            ids.add(publish(broker, topic, String.valueOf(i)).id());
        }
        for (int kept : new int[] {10, 11, max, max + 9}) {
            HistoryPage page = await(broker.read(topic, ids.get(kept), 500));
            assertFalse(page.truncated(), "after retained event " + kept);
            assertEquals(ids.subList(kept + 1, ids.size()), ids(page.events()));
        }
    }

    @Test
    void readingAfterAPositionBeyondTheHeadSaysTruncated() {
        Broker broker = node();
        Topic topic = topic("beyond");
        EventId head = publish(broker, topic, "1").id();
        HistoryPage page = await(broker.read(topic, new EventId(head.millis() + 60_000, 0), 10));
        assertTrue(page.truncated());
        assertEquals(List.of(), page.events());
        assertEquals(head, page.head());
        assertTrue(await(broker.read(topic, head.next(), 10)).truncated());
    }

    @Test
    void readingANeverPublishedTopicAfterANonZeroPositionSaysTruncated() {
        Broker broker = node();
        HistoryPage page = await(broker.read(topic("ghost"), new EventId(System.currentTimeMillis(), 0), 10));
        assertTrue(page.truncated());
        assertEquals(EventId.ZERO, page.head());
    }

    // ---- retention by bytes ----

    /** JSON text of {@code bytes} characters: a string of x. */
    protected static String data(int bytes) {
        return "\"" + "x".repeat(bytes - 2) + "\"";
    }

    /**
     * A client that may publish large events cannot make a topic hold more than its byte limit: the
     * oldest events go first, as with the count limit. Each broker counts bytes its own way (heap or
     * Redis memory), but always at least every byte of data, and not so much more that a topic keeps
     * less than a third of what its data alone would fill.
     */
    @Test
    void historyIsTrimmedOldestFirstToTheTopicsByteLimit() {
        Broker broker = node();
        Topic topic = topic("bytes");
        long limit = retention().bytes().perTopic();
        String data = data(8 << 10);
        int n = (int) (3 * limit / data.length());
        assertTrue(n < retention().maxEvents(), "the count limit must not be what trims here");
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(publish(broker, topic, data).id());
        }

        List<EventId> retained = ids(readAll(broker, topic, EventId.ZERO));
        assertTrue((long) retained.size() * data.length() <= limit,
                retained.size() + " events of " + data.length() + " bytes exceed the limit of " + limit);
        assertTrue(retained.size() >= limit / (3 * data.length()), "only " + retained.size() + " retained");
        assertEquals(ids.subList(n - retained.size(), n), retained, "the newest events are kept");
        assertEquals(ids.get(n - 1), await(broker.head(topic)));

        EventId lastDropped = ids.get(n - retained.size() - 1);
        HistoryPage fromFloor = await(broker.read(topic, lastDropped, 500));
        assertFalse(fromFloor.truncated(), "nothing after the newest dropped event was lost");
        assertEquals(retained, ids(fromFloor.events()));
        assertTrue(await(broker.read(topic, ids.get(n - retained.size() - 2), 10)).truncated(),
                "a resume from before the newest dropped event gets a reset");
        assertTrue(await(broker.read(topic, EventId.ZERO, 10)).truncated());
    }

    /** An event that alone exceeds the limit is published and delivered, but history cannot hold it. */
    @Test
    void anEventLargerThanTheTopicsByteLimitIsDeliveredLiveButNotRetained() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        nodes.get(1).setListener(received::add);
        Topic topic = topic("huge");
        await(nodes.get(1).subscribe(topic));
        EventId small = publish(nodes.get(0), topic, "1").id();
        String huge = data((int) retention().bytes().perTopic());

        PublishResult r = publish(nodes.get(0), topic, huge);

        List<Event> live = until(received, topic, r.id());
        assertEquals(huge, live.get(live.size() - 1).data());
        HistoryPage afterSmall = await(nodes.get(1).read(topic, small, 10));
        assertEquals(List.of(), afterSmall.events());
        assertTrue(afterSmall.truncated(), "the huge event was not retained: a resume before it gets a reset");
        assertEquals(r.id(), afterSmall.head());
        HistoryPage afterHuge = await(nodes.get(1).read(topic, r.id(), 10));
        assertFalse(afterHuge.truncated());

        EventId next = publish(nodes.get(0), topic, "2").id();
        assertEquals(List.of(next), ids(readAll(nodes.get(1), topic, r.id())));
    }

    /**
     * Events dropped by count (or age) give their bytes back: were they still counted, a busy topic's
     * count would grow past the byte limit and trim a topic that holds far less.
     */
    @Test
    void eventsTrimmedByCountNoLongerCountAgainstTheByteLimit() {
        Broker broker = node();
        Topic topic = topic("released");
        String data = data(200);
        int n = 2200; // several times the byte limit in total, on every broker
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(publish(broker, topic, data).id());
        }
        assertEquals(ids.subList(n - retention().maxEvents(), n), ids(readAll(broker, topic, EventId.ZERO)));
    }

    // ---- publishAll, close ----

    @Test
    void publishAllKeepsOrder() {
        Broker broker = node();
        Topic a = topic("all-a");
        Topic b = topic("all-b");
        List<PublishRequest> requests = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            requests.add(new PublishRequest(i % 3 == 0 ? b : a, "message", "{\"i\":" + i + "}", null));
        }
        List<PublishResult> results = await(broker.publishAll(requests));
        assertEquals(20, results.size());
        for (int i = 0; i < 20; i++) {
            assertEquals(requests.get(i).topic(), results.get(i).topic());
        }
        List<Event> historyA = readAll(broker, a, EventId.ZERO);
        List<Event> historyB = readAll(broker, b, EventId.ZERO);
        List<String> expectedA = requests.stream().filter(r -> r.topic().equals(a)).map(PublishRequest::data).toList();
        List<String> expectedB = requests.stream().filter(r -> r.topic().equals(b)).map(PublishRequest::data).toList();
        assertEquals(expectedA, historyA.stream().map(Event::data).toList());
        assertEquals(expectedB, historyB.stream().map(Event::data).toList());
        assertEquals(results.stream().filter(r -> r.topic().equals(a)).map(PublishResult::id).toList(), ids(historyA));
    }

    @Test
    void publishAllOfNothingIsEmpty() {
        assertEquals(List.of(), await(node().publishAll(List.of())));
    }

    @Test
    void publishAfterCloseFailsWithBrokerUnavailable() {
        Broker broker = node();
        Topic topic = topic("closed");
        publish(broker, topic, "1");
        // A new node is available once its live connection is up too, which may follow its first publish.
        org.awaitility.Awaitility.await().atMost(TIMEOUT).until(() -> await(broker.isAvailable()));
        broker.close();
        assertThrows(BrokerUnavailableException.class, () -> publish(broker, topic, "2"));
        assertThrows(BrokerUnavailableException.class, () -> await(broker.read(topic, EventId.ZERO, 10)));
        assertFalse(await(broker.isAvailable()));
        broker.close(); // idempotent
    }

    @Test
    void noLiveDeliveryAfterClose() throws Exception {
        List<Broker> nodes = nodes(2);
        BlockingQueue<Event> received = new LinkedBlockingQueue<>();
        Broker b = nodes.get(1);
        b.setListener(received::add);
        Topic topic = topic("close-live");
        await(b.subscribe(topic));
        b.close();
        try {
            publish(nodes.get(0), topic, "1");
        } catch (BrokerUnavailableException sameNodeInMemory) {
            // The memory broker's nodes are one broker: it is closed too.
        }
        assertNull(received.poll());
    }

    @Test
    void brokerHasAName() {
        String name = node().name();
        assertNotNull(name);
        assertFalse(name.isBlank());
    }

    // ---- presence ----

    private record PresenceNotice(Topic topic, String type, String data) {
    }

    /** Joins of one topic at once on several nodes: every member is kept (none overwritten by another's). */
    @Test
    void presenceJoinsAtOnceOnSeveralNodesAreAllKept() throws Exception {
        List<Broker> nodes = nodes(3);
        Topic topic = topic("crowd");
        await(nodes.get(0).presence().join(topic, "n0:first", "u-first")); // the first await sets Mutiny up, alone
        int rounds = 10;
        for (int round = 0; round < rounds; round++) {
            CyclicBarrier together = new CyclicBarrier(nodes.size());
            List<Future<Void>> calls = new ArrayList<>();
            for (int n = 0; n < nodes.size(); n++) {
                PresenceStore presence = nodes.get(n).presence();
                String member = "n" + n + ":r" + round;
                calls.add(pool.submit(() -> {
                    together.await();
                    return await(presence.join(topic, member, "u-" + member));
                }));
            }
            for (Future<Void> call : calls) {
                call.get(10, TimeUnit.SECONDS);
            }
        }
        assertEquals(1 + rounds * nodes.size(), await(nodes.get(1).presence().members(topic)).size(),
                "every joined member is present");
    }

    @Test
    void presenceJoinsAndLeavesReachEveryNodeOncePerUser() throws InterruptedException {
        List<Broker> nodes = nodes(2);
        Topic topic = topic("presence");
        BlockingQueue<PresenceNotice> notices = new LinkedBlockingQueue<>();
        nodes.get(1).setListener(new BrokerListener() {
            @Override
            public void onEvent(Event event) {
            }

            @Override
            public void onPresence(Topic t, String type, String data) {
                notices.add(new PresenceNotice(t, type, data));
            }
        });
        await(nodes.get(1).subscribe(topic));
        PresenceStore presence = nodes.get(0).presence();

        await(presence.join(topic, "n0:phone", "alice"));
        PresenceNotice join = notices.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(new PresenceNotice(topic, "herald.join", "{\"user\":\"alice\"}"), join);
        await(presence.join(topic, "n0:laptop", "alice"));
        await(presence.join(topic, "n0:tab", "bob"));
        assertEquals("{\"user\":\"bob\"}", notices.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).data(),
                "alice's second connection announced nothing; bob's first did");
        List<String> members = new ArrayList<>(await(nodes.get(1).presence().members(topic)));
        java.util.Collections.sort(members);
        assertEquals(List.of("alice", "alice", "bob"), members, "one entry per member, seen from any node");

        await(presence.leave(topic, "n0:phone"));
        await(presence.leave(topic, "n0:unknown"));
        await(presence.leave(topic, "n0:laptop"));
        PresenceNotice leave = notices.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(new PresenceNotice(topic, "herald.leave", "{\"user\":\"alice\"}"), leave,
                "alice leaves with her last connection, not before");
        assertEquals(List.of("bob"), await(nodes.get(0).presence().members(topic)));
        assertNull(notices.poll(200, TimeUnit.MILLISECONDS), "nothing else: " + notices);
    }
}
