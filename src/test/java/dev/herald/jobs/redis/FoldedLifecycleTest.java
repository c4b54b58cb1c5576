package dev.herald.jobs.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.Retention;
import dev.herald.broker.redis.RedisBroker;
import dev.herald.broker.redis.RedisBrokerSettings;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobLifecycle;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobState;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.Nack;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.QuietQueues;
import dev.herald.jobs.Settlement;
import dev.herald.support.BrokerRecorder;
import dev.herald.support.CountingBrokerMetrics;
import dev.herald.support.RedisBrokers;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a single Redis the job store appends each transition's lifecycle event in the transition's own script
 * call. Such a folded event must be indistinguishable from one the node publishes through the broker: the
 * same history envelope (type, data, traceparent) on {@code job:<id>}, the status document written exactly
 * as {@link JobStatus#toJson} writes it (escapes, embedded JSON, numbers), the same retention by count and
 * bytes, the same live payload on another node, and the same publish metrics. The same steps run twice: on
 * a folding store, and on a store that does not fold (as on a cluster) with the node publishing each event.
 */
class FoldedLifecycleTest {

    private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    /** Every character Json.quote escapes, and some it leaves (DEL, non-ASCII, a surrogate pair). */
    private static final String ODD = "a\"b\\c\nd\re\tf\u0001g\u001f\u007fh\u2028i\u2029j é 😀 </script>";
    private static final JobPolicy POLICY =
            new JobPolicy(Duration.ofHours(1), Duration.ofMillis(10), Duration.ofSeconds(1));

    private static final QuietQueues QUIET = QuietQueues.of(List.of("hush:*"));

    private static RedisBrokers redis;

    @BeforeAll
    static void start() {
        redis = RedisBrokers.start();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    /** What a job's follower should see: an event's type, data and traceparent. */
    private record Expected(String type, String data, String trace) {
        static Expected of(Event e) {
            return new Expected(e.type(), e.data(), e.trace());
        }
    }

    /** One side of the comparison: a node that runs the steps, and another node that follows the topics. */
    private static final class Side {
        final RedisJobStore store;
        final JobLifecycle lifecycle;
        final RedisBroker follower;
        final BrokerRecorder live = new BrokerRecorder();
        final CountingBrokerMetrics metrics = new CountingBrokerMetrics();
        final Map<String, List<Expected>> expected = new LinkedHashMap<>();
        final Map<String, LeasedJob> leases = new HashMap<>();
        int transitions;

        Side(String prefix, boolean fold, Retention retention) {
            RedisBrokerSettings settings = new RedisBrokerSettings(prefix, retention, Duration.ofSeconds(5),
                    Duration.ofHours(1), false);
            Redis client = redis.client(redis.server().url(), 4);
            RedisBroker broker = redis.broker(client, settings, metrics);
            store = new RedisJobStore(broker, redis.vertx(), client, POLICY, fold, QUIET);
            lifecycle = new JobLifecycle(broker, store.announcesLifecycle(), QUIET);
            follower = redis.broker(redis.client(redis.server().url(), 4), settings, BrokerMetrics.NONE);
            follower.setListener(live);
            // Redis loads the publish script once (NOSCRIPT, then its text: two timed calls); not counted below.
            done(broker.publish(new PublishRequest(Topic.of("warm"), "t", "{}", null)));
            metrics.reset();
        }

        /** After a transition, its event as the HTTP layer announces it (nothing when the store folded it). */
        void announce(String type, JobStatus status) {
            transitions++;
            expected.computeIfAbsent(status.id(), id -> new ArrayList<>())
                    .add(new Expected(type, status.toJson(), status.trace()));
            done(lifecycle.announce(type, status));
        }

        void settled(String type, Uni<Settlement> call) {
            Settlement s = done(call);
            assertEquals(Settlement.Outcome.APPLIED, s.outcome());
            announce(type, s.status());
        }

        /**
         * Two jobs (one traced) through every kind of event: enqueue both, lease both, report progress twice
         * on the first (odd characters, embedded JSON, then none) and let it die, ack the second.
         */
        void run() {
            QueueName queue = QueueName.of("fold");
            EnqueueRequest first = EnqueueRequest.of(queue, "resize", "{\"w\":1}", 3).withTrace(TRACE);
            EnqueueRequest second = EnqueueRequest.of(queue, "resize", "{\"w\":2}", 3);
            for (EnqueueRequest r : List.of(first, second)) {
                done(follower.subscribe(JobIds.topic(r.id())));
                announce(JobLifecycle.QUEUED, done(store.enqueue(r)).status());
            }
            for (LeasedJob job : done(store.lease(new LeaseRequest(queue, 2, Duration.ofMinutes(1)))).jobs()) {
                leases.put(job.id(), job);
                announce(JobLifecycle.ACTIVE, job.status());
            }
            LeasedJob a = leases.get(first.id());
            LeasedJob b = leases.get(second.id());
            settled(JobLifecycle.PROGRESS, store.progress(a.id(), a.lease(), 40, ODD, "{\"n\":1.50e3,\"s\":\"é\"}"));
            settled(JobLifecycle.PROGRESS, store.progress(a.id(), a.lease(), 70, null, null));
            settled(JobLifecycle.DEAD, store.nack(a.id(), a.lease(), new Nack(ODD, false, null)));
            settled(JobLifecycle.SUCCEEDED, store.ack(b.id(), b.lease(), "[1,2.0,{\"a\":null},\"x\\ny\"]"));
            // A duplicate enqueue stores nothing and announces nothing.
            EnqueueRequest keyed = new EnqueueRequest(queue, "resize", "{}", "k1", Duration.ZERO, 3, null, null);
            done(follower.subscribe(JobIds.topic(keyed.id())));
            announce(JobLifecycle.QUEUED, done(store.enqueue(keyed)).status());
            EnqueueRequest again = new EnqueueRequest(queue, "resize", "{}", "k1", Duration.ZERO, 3, null, null);
            assertTrue(done(store.enqueue(again)).duplicate());
        }
    }

    private static <T> T done(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void aFoldedEventIsThePublishedEvent() {
        // Small limits, so that count and byte retention both act: 3 events, and about 3 status documents.
        Retention retention = new Retention(3, Duration.ofHours(1), 100_000, Duration.ofMinutes(5),
                new Retention.ByteLimits(1_100, 64 << 20, 16 << 20));
        Side folded = new Side("fold:", true, retention);
        Side published = new Side("pub:", false, retention);
        assertTrue(folded.store.announcesLifecycle());
        assertFalse(published.store.announcesLifecycle());
        List<List<Expected>> retained = new ArrayList<>();
        for (Side side : List.of(folded, published)) {
            side.run();
            List<Expected> kept = new ArrayList<>();
            side.expected.forEach((id, mine) -> {
                // Live, on another node: every event, in order, as the node's own status documents.
                await().atMost(Duration.ofSeconds(10)).until(() -> live(side, id).size() >= mine.size());
                List<Event> live = live(side, id);
                assertEquals(mine, live.stream().map(Expected::of).toList());
                // History: the newest events within the count and the byte bound, as they were delivered.
                HistoryPage page = done(side.follower.read(JobIds.topic(id), EventId.ZERO, 100));
                assertTrue(!page.events().isEmpty() && page.events().size() <= 3, page.events().toString());
                assertEquals(live.subList(live.size() - page.events().size(), live.size()), page.events());
                assertEquals(page.events().size() < live.size(), page.truncated());
                page.events().forEach(e -> kept.add(Expected.of(e)));
            });
            retained.add(kept);
        }
        // The two sides alike: the same events kept, with the same types and traces (ids and times differ).
        assertEquals(retained.get(1).stream().map(e -> e.type() + " " + e.trace()).toList(),
                retained.get(0).stream().map(e -> e.type() + " " + e.trace()).toList());
        // Counted as publishes are: one timed publish per event, the same entries dropped by the byte bound.
        assertEquals(published.transitions, published.metrics.commands("publish"));
        assertEquals(published.transitions, folded.metrics.commands("publish"));
        assertTrue(published.metrics.evicted("topic-bytes") > 0, "the byte bound acted");
        assertEquals(published.metrics.evicted("topic-bytes"), folded.metrics.evicted("topic-bytes"));
    }

    /**
     * A quiet queue's job through every kind of transition (queued, active, progress, failed, active again,
     * dead, queued again from the dead list, active, succeeded) appends and publishes nothing, folded or
     * not; a job of another queue enqueued after it is announced, on both sides alike.
     */
    @Test
    void aQuietQueuesJobAnnouncesNothing() {
        Retention retention = new Retention(100, Duration.ofHours(1), 100_000, Duration.ofMinutes(5),
                new Retention.ByteLimits(1 << 20, 64 << 20, 16 << 20));
        for (boolean fold : List.of(true, false)) {
            Side side = new Side(fold ? "hush-fold:" : "hush-pub:", fold, retention);
            QueueName queue = QueueName.of("hush:jobs");
            EnqueueRequest quiet = EnqueueRequest.of(queue, "t", "{}", 2);
            done(side.follower.subscribe(JobIds.topic(quiet.id())));
            done(side.lifecycle.announce(JobLifecycle.QUEUED, done(side.store.enqueue(quiet)).status()));
            LeasedJob first = lease(side, queue);
            done(side.lifecycle.announce(JobLifecycle.ACTIVE, first.status()));
            quietly(side, JobLifecycle.PROGRESS, side.store.progress(first.id(), first.lease(), 50, null, null));
            quietly(side, JobLifecycle.FAILED,
                    side.store.nack(first.id(), first.lease(), new Nack("again", true, null)));
            LeasedJob second = await().atMost(Duration.ofSeconds(10)).until(() -> leaseOrNull(side, queue),
                    job -> job != null);
            quietly(side, JobLifecycle.DEAD, side.store.nack(second.id(), second.lease(), new Nack("no", true, null)));
            Settlement retried = done(side.store.retry(quiet.id()));
            assertEquals(Settlement.Outcome.APPLIED, retried.outcome());
            done(side.lifecycle.announce(JobLifecycle.QUEUED, retried.status()));
            LeasedJob third = lease(side, queue);
            quietly(side, JobLifecycle.SUCCEEDED, side.store.ack(third.id(), third.lease(), null));
            assertEquals(JobState.SUCCEEDED, done(side.store.status(quiet.id())).state());

            // The control: announced on both sides, and (one Redis, one subscriber connection) delivered after
            // anything the quiet job's transitions would have published.
            EnqueueRequest loud = EnqueueRequest.of(QueueName.of("loud"), "t", "{}", 2);
            done(side.follower.subscribe(JobIds.topic(loud.id())));
            side.announce(JobLifecycle.QUEUED, done(side.store.enqueue(loud)).status());
            await().atMost(Duration.ofSeconds(10)).until(() -> live(side, loud.id()).size() == 1);
            assertEquals(List.of(), live(side, quiet.id()), fold ? "folded" : "published");
            assertEquals(List.of(), done(side.follower.read(JobIds.topic(quiet.id()), EventId.ZERO, 100)).events());
            assertEquals(1, side.metrics.commands("publish"), "only the control's event was published");
        }
    }

    private static LeasedJob leaseOrNull(Side side, QueueName queue) {
        List<LeasedJob> jobs = done(side.store.lease(new LeaseRequest(queue, 1, Duration.ofMinutes(1)))).jobs();
        return jobs.isEmpty() ? null : jobs.get(0);
    }

    private static LeasedJob lease(Side side, QueueName queue) {
        LeasedJob job = leaseOrNull(side, queue);
        assertTrue(job != null, "a job to lease");
        return job;
    }

    /** A transition of a quiet queue's job, applied, announced as the HTTP layer does (nothing published). */
    private static void quietly(Side side, String type, Uni<Settlement> call) {
        Settlement s = done(call);
        assertEquals(Settlement.Outcome.APPLIED, s.outcome());
        done(side.lifecycle.announce(type, s.status()));
    }

    private static List<Event> live(Side side, String id) {
        return side.live.events().stream().filter(e -> e.topic().equals(JobIds.topic(id))).toList();
    }
}
