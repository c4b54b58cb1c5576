package dev.herald.hub;

import dev.herald.support.CollectingSink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerListener;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PresenceStore;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.broker.memory.MemoryBroker;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.metrics.HeraldMetrics;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The hub on the memory broker, without HTTP: fan-out per topic, reference counting, resync. */
class HubTest {

    private final MemoryBroker broker = new MemoryBroker(new Retention(100, Duration.ofHours(1), 1000, Duration.ofMinutes(1)));
    private final Hub hub = new Hub(broker, new NoMetrics(), 10, 25);

    /** A sink that drains synchronously into a list. */
    private static class Collecting extends CollectingSink {
    }

    private Collecting open(String... topics) {
        Collecting sink = new Collecting();
        sink.subscription = hub.open(java.util.Arrays.stream(topics).map(Topic::of).toList(), null, sink)
                .await().atMost(Duration.ofSeconds(5));
        sink.subscription.drain(sink);
        return sink;
    }

    private void publish(String topic, int n) {
        broker.publish(new PublishRequest(Topic.of(topic), "m", String.valueOf(n), null)).await().indefinitely();
    }

    @Test
    void eachEventReachesOnlyTheSubscriptionsOfItsTopic() {
        Collecting a = open("a");
        Collecting ab = open("a", "b");
        Collecting c = open("c");
        publish("a", 1);
        publish("b", 2);
        assertEquals(1, a.events.size());
        assertEquals(2, ab.events.size());
        assertEquals(0, c.events.size());
    }

    @Test
    void theBrokerSubscriptionOfATopicLastsWhileOneLocalSubscriptionNeedsIt() {
        Collecting first = open("t");
        Collecting second = open("t");
        assertEquals(1, hub.subscriptionsByTopic().size());
        hub.close(first.subscription);
        assertEquals(1, hub.subscriptionsByTopic().size());
        publish("t", 1);
        assertEquals(1, second.events.size());
        hub.close(second.subscription);
        assertEquals(0, hub.subscriptionsByTopic().size());
    }

    @Test
    void aSubscriptionWhoseQueueOverflowsIsDroppedAsASlowConsumer() {
        Collecting stalled = new Collecting();
        stalled.subscription = hub.open(List.of(Topic.of("slow")), null, stalled).await().indefinitely();
        // Never drained: its subscription field is set, but wakeUp is a no-op for this test.
        Collecting healthy = open("slow");
        stalled.subscription = null;
        for (int i = 0; i < 20; i++) {
            publish("slow", i);
        }
        assertEquals(List.of(SubscriberSink.CloseReason.SLOW_CONSUMER), stalled.closed);
        assertEquals(20, healthy.events.size(), "a slow consumer does not hold the others back");
    }

    @Test
    void lostHistoryEndsTheSubscriptionsOfThatTopicForAResync() {
        Collecting lost = open("gone");
        Collecting other = open("kept");
        hub.onHistoryLost(Topic.of("gone"));
        assertEquals(List.of(SubscriberSink.CloseReason.RESYNC), lost.closed);
        assertTrue(other.closed.isEmpty());
        assertTrue(lost.subscription.isClosed());
        assertEquals(1, hub.subscriptionsByTopic().size());
        publish("gone", 1);
        assertTrue(lost.events.isEmpty());
    }

    @Test
    void aResumeNeedingMoreThanTheReplayBudgetGetsAResetInsteadOfTheBacklog() {
        Collecting first = open("budget:a", "budget:b");
        String cursor = first.subscription.initialCursor();
        hub.close(first.subscription);
        for (int i = 0; i < 20; i++) {
            publish("budget:a", i);
            publish("budget:b", i);
        }
        List<Notice> notices = new CopyOnWriteArrayList<>();
        Collecting resumed = new Collecting() {
            @Override
            public void write(Notice notice, String c) {
                notices.add(notice);
            }
        };
        resumed.subscription = hub.open(List.of(Topic.of("budget:a"), Topic.of("budget:b")), cursor, resumed)
                .await().atMost(Duration.ofSeconds(5));
        resumed.subscription.drain(resumed);
        // 20 events of a fit the budget of 25; b's 20 more would not: b is reset, not replayed.
        assertEquals(20, resumed.events.size());
        assertTrue(resumed.events.stream().allMatch(e -> e.topic().name().equals("budget:a")));
        assertEquals(1, notices.size());
        assertEquals("{\"topics\":[\"budget:b\"],\"reason\":\"history-exceeded\"}", notices.get(0).data());
    }

    @Test
    void aPagedSubscriptionReadsOneFullPageAndNoResetHoweverFarBehind() {
        Collecting first = open("paged:a", "paged:b");
        String cursor = first.subscription.initialCursor();
        hub.close(first.subscription);
        for (int i = 0; i < 40; i++) {
            publish("paged:a", i);
            publish("paged:b", i);
        }
        List<Notice> notices = new CopyOnWriteArrayList<>();
        Collecting page = new Collecting() {
            @Override
            public void write(Notice notice, String c) {
                notices.add(notice);
            }
        };
        // Far beyond the replay budget of 25, but a page of 30 is taken, not a reset.
        page.subscription = hub.open(List.of(Topic.of("paged:a"), Topic.of("paged:b")), cursor, page, Hub.Options.page(30))
                .await().atMost(Duration.ofSeconds(5));
        page.subscription.drain(page);
        assertEquals(List.of(), notices);
        assertEquals(30, page.events.size(), "exactly one page");
        assertTrue(page.events.stream().allMatch(e -> e.topic().name().equals("paged:a")), "topic by topic");
        String next = page.subscription.currentCursor();
        hub.close(page.subscription);

        Collecting rest = new Collecting();
        rest.subscription = hub.open(List.of(Topic.of("paged:a"), Topic.of("paged:b")), next, rest, Hub.Options.page(30))
                .await().atMost(Duration.ofSeconds(5));
        rest.subscription.drain(rest);
        assertEquals(30, rest.events.size());
        assertEquals(10, rest.events.stream().filter(e -> e.topic().name().equals("paged:a")).count(),
                "the next page goes on exactly after the first");
    }

    private static final class NoMetrics implements HeraldMetrics {
        @Override public void connectionOpened(String transport) { }
        @Override public void connectionClosed(String transport) { }
        @Override public void subscriptionsAdded(int topics) { }
        @Override public void subscriptionsRemoved(int topics) { }
        @Override public void eventPublished(boolean duplicate) { }
        @Override public DeliveryMeter deliveries(String transport) {
            return new DeliveryMeter() {
                @Override public void delivered(int count) { }
                @Override public void latency(long millis) { }
            };
        }
        @Override public void slowConsumerDropped(String transport) { }
        @Override public void eventsReplayed(int count) { }
        @Override public void resetSent(String reason) { }
        @Override public void authFailed(String reason) { }
        @Override public void requestRefused(String reason) { }
    }

    @Test
    void aTopicLeftEmptyStaysSubscribedForTheLingerAndAReturnCancelsTheUnsubscribe() {
        List<Runnable> timers = new ArrayList<>();
        Hub lingering = new Hub(broker, new NoMetrics(), 10, 25, Duration.ofSeconds(5), (delay, task) -> timers.add(task));
        Topic topic = Topic.of("linger");
        Collecting first = new Collecting();
        first.subscription = lingering.open(List.of(topic), null, first).await().atMost(Duration.ofSeconds(5));
        lingering.close(first.subscription);
        assertEquals(1, lingering.subscriptionsByTopic().size(), "still subscribed at the broker while lingering");
        assertEquals(1, timers.size());

        Collecting back = new Collecting();
        back.subscription = lingering.open(List.of(topic), null, back).await().atMost(Duration.ofSeconds(5));
        timers.remove(0).run();
        assertEquals(1, lingering.subscriptionsByTopic().size(), "a subscriber came back: the old linger does nothing");
        broker.publish(new PublishRequest(topic, "m", "1", null)).await().atMost(Duration.ofSeconds(5));
        assertEquals(1, back.events.size(), "live delivery goes on through the lingering subscription");

        lingering.close(back.subscription);
        timers.remove(0).run();
        assertEquals(0, lingering.subscriptionsByTopic().size(), "unsubscribed once the linger ran out");
    }

    /** The memory broker, with reads counted and held until released (a slow Redis in a reconnect storm). */
    private static final class HeldReads implements Broker {
        final MemoryBroker delegate;
        final AtomicInteger reads = new AtomicInteger();
        volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);

        HeldReads(MemoryBroker delegate) {
            this.delegate = delegate;
        }

        @Override public String name() { return "held"; }
        @Override public void setListener(BrokerListener listener) { delegate.setListener(listener); }
        @Override public Uni<PublishResult> publish(PublishRequest request) { return delegate.publish(request); }
        @Override public Uni<EventId> head(Topic topic) { return delegate.head(topic); }
        @Override public Uni<Void> subscribe(Topic topic) { return delegate.subscribe(topic); }
        @Override public Uni<Void> unsubscribe(Topic topic) { return delegate.unsubscribe(topic); }
        @Override public Uni<Boolean> isAvailable() { return delegate.isAvailable(); }
        @Override public PresenceStore presence() { return delegate.presence(); }
        @Override public void close() { delegate.close(); }

        @Override
        public Uni<HistoryPage> read(Topic topic, EventId after, int limit) {
            return Uni.createFrom().deferred(() -> {
                reads.incrementAndGet();
                return Uni.createFrom().completionStage(gate).chain(() -> delegate.read(topic, after, limit));
            });
        }
    }

    @Test
    void resumesFromTheSamePositionShareBrokerReadsAndEachGetsTheWholeReplay() {
        HeldReads held = new HeldReads(new MemoryBroker(new Retention(100, Duration.ofHours(1), 1000, Duration.ofMinutes(1))));
        Hub sharing = new Hub(held, new NoMetrics(), 100, 100);
        Topic topic = Topic.of("storm");
        Collecting first = new Collecting();
        first.subscription = sharing.open(List.of(topic), null, first).await().atMost(Duration.ofSeconds(5));
        String cursor = first.subscription.initialCursor();
        sharing.close(first.subscription);
        for (int i = 0; i < 5; i++) {
            held.publish(new PublishRequest(topic, "m", String.valueOf(i), null)).await().indefinitely();
        }
        held.reads.set(0);
        held.gate = new CompletableFuture<>();
        List<Collecting> resumed = new ArrayList<>();
        List<CompletableFuture<Subscription>> opening = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Collecting sink = new Collecting();
            resumed.add(sink);
            opening.add(sharing.open(List.of(topic), cursor, sink).subscribeAsCompletionStage());
        }
        held.gate.complete(null);
        for (int i = 0; i < 10; i++) {
            Collecting sink = resumed.get(i);
            sink.subscription = opening.get(i).join();
            sink.subscription.drain(sink);
            assertEquals(List.of("0", "1", "2", "3", "4"), sink.events.stream().map(Event::data).toList(),
                    "resume " + i + " replays the whole gap, once, in order");
        }
        // One read in flight for the first, one queued behind it for the nine that came after it started.
        assertEquals(2, held.reads.get(), "ten resumes from one position, broker reads");
    }
}
