package dev.herald.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HeraldNodes;
import dev.herald.support.HeraldProcess;
import dev.herald.support.Metrics;
import dev.herald.support.NodeApi;
import dev.herald.support.PollClient;
import dev.herald.support.RedisServer;
import dev.herald.support.ResumingSubscriber;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two real Herald nodes (separate processes of the packaged jar) on one real Redis, under faults:
 * a node killed, Redis stopped and restarted, a node drained. Every event that got a 202 must reach
 * every subscriber exactly once, in order. Each scenario prints its counts.
 */
class TwoNodesIT {

    private HeraldNodes cluster;
    private RedisServer redis;
    private HeraldProcess nodeA;
    private HeraldProcess nodeB;
    private final String token = TestTokens.admin();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void startCluster() throws Exception {
        cluster = HeraldNodes.start("node", Map.of(
                "herald.shutdown.drain-delay", "1s",
                "herald.shutdown.spread", "1s",
                "quarkus.shutdown.timeout", "10s"));
        redis = cluster.redis();
        nodeA = cluster.a();
        nodeB = cluster.b();
    }

    @AfterEach
    void stopCluster() {
        cluster.close();
    }

    @Test
    void eventPublishedOnNodeAReachesSseSubscribersOnNodeB() throws Exception {
        try (SseClient onB = SseClient.open(nodeB.base(), List.of("room:cluster"), token, null)) {
            assertEquals(200, onB.status(), onB.errorBody());
            assertNotNull(onB.next(Duration.ofSeconds(5)));
            assertEquals(202, publish(nodeA, "room:cluster", 1).statusCode());
            SseClient.Frame frame = onB.nextEvent(Duration.ofSeconds(5));
            assertNotNull(frame, "event published on A did not reach B");
            assertTrue(frame.data().contains("\"seq\":1"));
            // The cursor B handed out resumes on A.
            assertEquals(202, publish(nodeA, "room:cluster", 2).statusCode());
            try (SseClient onA = SseClient.open(nodeA.base(), List.of("room:cluster"), token, frame.id())) {
                SseClient.Frame resumed = onA.nextEvent(Duration.ofSeconds(5));
                assertNotNull(resumed);
                assertTrue(resumed.data().contains("\"seq\":2"), resumed.data());
            }
        }
    }

    @Test
    void aPollHeldOnNodeBIsAnsweredByAPublishOnNodeAAndItsCursorResumesOnNodeA() throws Exception {
        List<String> topics = List.of("room:poll");
        String start = PollClient.to(nodeB.base(), topics).token(token).timeout(0).send().ok().cursor();
        CompletableFuture<PollClient.Answer> held = PollClient.to(nodeB.base(), topics).token(token).cursor(start)
                .timeout(30).hold();
        await().atMost(Duration.ofSeconds(10)).until(() -> Metrics.heldPolls(NodeApi.metrics(http, nodeB.base())) == 1);
        assertEquals(202, publish(nodeA, "room:poll", 1).statusCode());
        PollClient.Answer onB = PollClient.await(held, Duration.ofSeconds(10)).ok();
        assertEquals(1, onB.events().size(), onB.body());
        assertTrue(onB.body().contains("\"seq\":1"), onB.body());
        // No sticky session: node A answers the cursor node B handed out, from the shared Stream.
        assertEquals(202, publish(nodeA, "room:poll", 2).statusCode());
        PollClient.Answer onA = PollClient.to(nodeA.base(), topics).token(token).cursor(onB.cursor()).timeout(5)
                .send().ok();
        assertEquals(1, onA.events().size(), onA.body());
        assertTrue(onA.body().contains("\"seq\":2"), onA.body());
    }

    @Test
    void subscribersOfAKilledNodeResumeOnTheOtherWithEveryEventOnce() throws Exception {
        List<ResumingSubscriber> subscribers = subscribers("steady", 4, 1);
        Publisher publisher = new Publisher(nodeA, "steady", 600, Duration.ofMillis(5));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> publisher.published() >= 200);
            nodeB.process().destroyForcibly(); // SIGKILL, mid-stream
            assertTrue(nodeB.process().waitFor(10, TimeUnit.SECONDS));
            publisher.awaitDone();
            verify("SIGKILL node B", publisher, subscribers, Set.of());
        } finally {
            publisher.stop();
            subscribers.forEach(ResumingSubscriber::close);
        }
    }

    @Test
    void redisOutageAnswers503ReadinessDownAndLosesNoAcceptedEvent() throws Exception {
        List<ResumingSubscriber> subscribers = new ArrayList<>(subscribers("outage", 2, 0));
        subscribers.addAll(subscribers("outage", 2, 1));
        Publisher publisher = new Publisher(nodeA, "outage", Integer.MAX_VALUE, Duration.ofMillis(10));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> publisher.published() >= 100);
            redis.stop();
            long stopped = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> nodeA.status("/q/health/ready") == 503 && nodeB.status("/q/health/ready") == 503);
            assertEquals(200, nodeA.status("/q/health/live"), "liveness does not follow Redis");
            long acceptedBefore = publisher.accepted().size();
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
            long restartAt = System.nanoTime();
            redis.start();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> nodeA.status("/q/health/ready") == 200 && nodeB.status("/q/health/ready") == 200);
            long resumedAt = publisher.published();
            await().atMost(Duration.ofSeconds(20)).until(() -> publisher.published() >= resumedAt + 100);
            publisher.stop();
            // Publishes that started after Redis died and finished before it was restarted were refused.
            Set<Long> duringOutage = publisher.completedBetween(stopped, restartAt);
            assertTrue(duringOutage.size() >= 10, "too few publishes fell into the outage: " + duringOutage.size());
            for (long seq : duringOutage) {
                assertTrue(publisher.notAccepted().contains(seq), "publish " + seq + " got a 202 while Redis was down");
            }
            assertTrue(publisher.allRefusalsHadRetryAfter(), "a 503 or 504 without Retry-After");
            System.out.printf("outage: %d accepted before, %d refused with 503, %d answered 504 (outcome unknown)%n",
                    acceptedBefore, publisher.refused().size(), publisher.notAccepted().size() - publisher.refused().size());
            verify("Redis outage", publisher, subscribers, publisher.notAccepted());
        } finally {
            publisher.stop();
            subscribers.forEach(ResumingSubscriber::close);
        }
    }

    @Test
    void subscribersOfADrainedNodeMoveToTheOtherWithoutLoss() throws Exception {
        List<ResumingSubscriber> subscribers = subscribers("drain", 4, 1);
        Publisher publisher = new Publisher(nodeA, "drain", 600, Duration.ofMillis(5));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> publisher.published() >= 200);
            nodeB.process().destroy(); // SIGTERM: graceful drain
            assertTrue(nodeB.process().waitFor(15, TimeUnit.SECONDS), "node B did not exit");
            publisher.awaitDone();
            verify("SIGTERM node B", publisher, subscribers, Set.of());
            for (ResumingSubscriber s : subscribers) {
                assertTrue(s.notices().stream().anyMatch(n -> n.startsWith("herald.shutdown")),
                        s.name() + " was not told to go: " + s.notices());
            }
        } finally {
            publisher.stop();
            subscribers.forEach(ResumingSubscriber::close);
        }
    }

    private List<ResumingSubscriber> subscribers(String topic, int count, int firstNode) throws Exception {
        List<URI> nodes = List.of(nodeA.base(), nodeB.base());
        List<ResumingSubscriber> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(new ResumingSubscriber(topic + "-" + firstNode + "-" + i, nodes, firstNode, List.of(topic), token));
        }
        for (ResumingSubscriber s : list) {
            assertTrue(s.awaitConnected(Duration.ofSeconds(10)), s.name() + " did not connect");
        }
        return list;
    }

    /**
     * Every accepted event reached every subscriber exactly once and in order; refused ones (503) may
     * or may not have been stored (the reply can be lost after the write), but never twice.
     */
    private void verify(String scenario, Publisher publisher, List<ResumingSubscriber> subscribers, Set<Long> refused) {
        Set<Long> accepted = publisher.accepted();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                subscribers.stream().allMatch(s -> new HashSet<>(s.seqs()).containsAll(accepted)));
        long delivered = 0;
        long duplicated = 0;
        long lost = 0;
        for (ResumingSubscriber s : subscribers) {
            List<Long> seqs = s.seqs();
            delivered += seqs.size();
            Set<Long> seen = new HashSet<>();
            long previous = -1;
            for (long seq : seqs) {
                if (!seen.add(seq)) {
                    duplicated++;
                }
                assertTrue(seq > previous, s.name() + ": out of order at " + seq);
                assertTrue(accepted.contains(seq) || refused.contains(seq), s.name() + ": unknown event " + seq);
                previous = seq;
            }
            for (long seq : accepted) {
                if (!seen.contains(seq)) {
                    lost++;
                }
            }
            assertTrue(s.notices().stream().noneMatch(n -> n.startsWith("herald.reset")), s.name() + " got a reset");
        }
        System.out.printf("%s: published %d, accepted %d, refused %d, subscribers %d, delivered %d (expected %d), "
                        + "lost %d, duplicated %d, reconnects %d%n", scenario, publisher.published(), accepted.size(),
                publisher.refused().size(), subscribers.size(), delivered, (long) accepted.size() * subscribers.size(),
                lost, duplicated, subscribers.stream().mapToInt(s -> s.connections() - 1).sum());
        assertEquals(0, lost, "lost events");
        assertEquals(0, duplicated, "duplicated events");
    }

    private HttpResponse<String> publish(HeraldProcess node, String topic, long seq) throws Exception {
        return NodeApi.publish(http, node.base(), token, topic, NodeApi.seqEvent("seq", seq), Duration.ofSeconds(10));
    }

    /** Publishes seq 0, 1, 2, ... at a steady rate on one node and records each answer. */
    private final class Publisher {
        private final Set<Long> accepted = ConcurrentHashMap.newKeySet();
        private final Set<Long> refused = ConcurrentHashMap.newKeySet();
        /** Answered 504: written to Redis as it went away, stored or not (a client would retry with its key). */
        private final Set<Long> unknown = ConcurrentHashMap.newKeySet();
        private final Map<Long, long[]> timing = new ConcurrentHashMap<>();
        private final AtomicLong published = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicBoolean retryAfterMissing = new AtomicBoolean();
        private final Thread thread;

        Publisher(HeraldProcess node, String topic, int count, Duration interval) {
            thread = Thread.ofPlatform().daemon().start(() -> {
                for (long seq = 0; seq < count && !stop.get(); seq++) {
                    long start = System.nanoTime();
                    try {
                        HttpResponse<String> r = publish(node, topic, seq);
                        if (r.statusCode() == 202) {
                            accepted.add(seq);
                        } else if (r.statusCode() == 503 || r.statusCode() == 504) {
                            (r.statusCode() == 503 ? refused : unknown).add(seq);
                            if (r.headers().firstValue("Retry-After").isEmpty()) {
                                retryAfterMissing.set(true);
                            }
                        } else {
                            throw new IllegalStateException("publish " + seq + " answered " + r.statusCode() + " " + r.body());
                        }
                    } catch (java.io.IOException e) {
                        refused.add(seq);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    timing.put(seq, new long[] {start, System.nanoTime()});
                    published.incrementAndGet();
                    long wait = interval.toNanos() - (System.nanoTime() - start);
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
            });
        }

        long published() {
            return published.get();
        }

        Set<Long> accepted() {
            return Set.copyOf(accepted);
        }

        /** Answered 503 or 504 (or not at all): not accepted, maybe stored. */
        Set<Long> notAccepted() {
            Set<Long> all = new HashSet<>(refused);
            all.addAll(unknown);
            return all;
        }

        Set<Long> refused() {
            return Set.copyOf(refused);
        }

        boolean allRefusalsHadRetryAfter() {
            return !retryAfterMissing.get();
        }

        Set<Long> completedBetween(long fromNanos, long toNanos) {
            Set<Long> result = new HashSet<>();
            timing.forEach((seq, t) -> {
                if (t[0] >= fromNanos && t[1] <= toNanos) {
                    result.add(seq);
                }
            });
            return result;
        }

        void awaitDone() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(TimeUnit.SECONDS.toMillis(20));
        }
    }
}
