package dev.herald.jobs.redis;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.Retention;
import dev.herald.broker.redis.RedisBroker;
import dev.herald.broker.redis.RedisBrokerSettings;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobState;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.JobStoreContractTest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.QuietQueues;
import dev.herald.support.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job store contract on one real redis-server: n nodes are n stores, each with its own Redis client
 * and broker. Debian's Redis 7 by default; {@code HERALD_TEST_REDIS=bundled} runs it on the bundled 6.2,
 * whose XAUTOCLAIM answers differently.
 */
class RedisJobStoreContractTest extends JobStoreContractTest {

    /** The broker's own retention (topics), unused by the job store. */
    static final Retention RETENTION = new Retention(200, Duration.ofHours(1), 100_000, Duration.ofMinutes(5),
            new Retention.ByteLimits(256 << 10, 64 << 20, 16 << 20));

    private static RedisServer server;
    private static Vertx vertx;
    private final List<Redis> clients = new ArrayList<>();
    private String keyPrefix;
    private final List<RedisBroker> brokers = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        server = RedisServer.startNew();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopRedis() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected List<JobStore> stores(int n, JobPolicy policy) {
        keyPrefix = "hj" + UUID.randomUUID().toString().substring(0, 8) + ":";
        List<JobStore> stores = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(server.url())
                    .setMaxPoolSize(8).setMaxPoolWaiting(1000));
            clients.add(client);
            RedisBroker broker = new RedisBroker(vertx, client, new RedisBrokerSettings(keyPrefix,
                    RETENTION, Duration.ofSeconds(5), Duration.ofHours(1), false),
                    BrokerMetrics.NONE);
            brokers.add(broker);
            stores.add(new RedisJobStore(broker, vertx, client, policy, true, QuietQueues.NONE));
        }
        return stores;
    }

    /**
     * A pending entry deleted under the store (XDEL by an operator, or trimming) never comes back as a job
     * and leaves the pending list once its lease expires: Redis 7 drops it from the pending list inside
     * XAUTOCLAIM and reports it apart, Redis 6.2 returns it with nil fields and the store acknowledges it.
     */
    @Test
    void aDeletedPendingEntryLeavesThePendingListAfterItsLeaseExpires() {
        JobStore store = nodes(1, CONTRACT_POLICY).get(0);
        done(store.enqueue(EnqueueRequest.of(queue, "t", "1", 3)));
        LeasedJob job = done(store.lease(new LeaseRequest(queue, 1, Duration.ofMillis(200)))).jobs().get(0);
        String stream = keyPrefix + "{jobs." + JobIds.tag(queue) + "}:qs:" + queue.name();
        assertEquals(1, pending(stream));
        assertEquals(":1", server.command("XTRIM", stream, "MAXLEN", "0"), "the job's entry is deleted");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            assertTrue(done(store.lease(new LeaseRequest(queue, 1, Duration.ofSeconds(30)))).jobs().isEmpty());
            return pending(stream) == 0;
        });
        assertEquals(JobState.ACTIVE, done(store.status(job.id())).state(), "the job itself is not touched");
    }

    /**
     * Enqueues that reach an event loop in the same turn go to Redis together: one script call per hash
     * tag, each enqueue answered as its own would be (a key seen earlier in the turn is a duplicate), and a
     * notice per job stored, so that each wakes a waiting lease. An enqueue from any other thread goes alone.
     */
    @Test
    void enqueuesOfOneEventLoopTurnGoToRedisInOneCallPerHashTag() throws Exception {
        JobStore store = nodes(1, CONTRACT_POLICY).get(0);
        QueueName other = QueueName.of("r" + queue.name().substring(1));
        done(store.enqueue(EnqueueRequest.of(queue, "t", "0", 3))); // the script is loaded by now
        AtomicInteger notices = new AtomicInteger();
        store.setAvailabilityListener(q -> {
            if (q.equals(queue)) {
                notices.incrementAndGet();
            }
        });
        store.watch(queue);
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.get() == 1); // the subscription took effect
        EnqueueRequest keyed = new EnqueueRequest(queue, "t", "1", "k-1", Duration.ZERO, 3, null, null);
        List<EnqueueRequest> turn = List.of(keyed, EnqueueRequest.of(other, "t", "2", 3),
                new EnqueueRequest(queue, "t", "3", "k-1", Duration.ZERO, 3, null, null),
                EnqueueRequest.of(queue, "t", "4", 3), EnqueueRequest.of(other, "t", "5", 3));
        List<CompletableFuture<Enqueued>> answers = turn.stream().map(r -> new CompletableFuture<Enqueued>()).toList();
        long before = scriptCalls();
        vertx.getOrCreateContext().runOnContext(v -> {
            for (int i = 0; i < turn.size(); i++) {
                CompletableFuture<Enqueued> answer = answers.get(i);
                store.enqueue(turn.get(i)).subscribe().with(answer::complete, answer::completeExceptionally);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> answers.stream().allMatch(CompletableFuture::isDone));
        long tags = turn.stream().map(r -> JobIds.tag(r.queue())).distinct().count();
        assertEquals(tags, scriptCalls() - before, "one call per hash tag for " + turn.size() + " enqueues");

        List<Enqueued> got = answers.stream().map(CompletableFuture::join).toList();
        assertEquals(List.of(false, false, true, false, false), got.stream().map(Enqueued::duplicate).toList());
        assertEquals(keyed.id(), got.get(2).id(), "the key seen earlier in the turn");
        for (int i : new int[] {0, 1, 3, 4}) {
            assertEquals(turn.get(i).id(), got.get(i).id());
            assertEquals(done(store.status(got.get(i).id())), got.get(i).status());
        }
        assertEquals(3, done(store.counts(queue)).queued());
        assertEquals(2, done(store.counts(other)).queued());
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.get() >= 3);

        before = scriptCalls();
        done(store.enqueue(EnqueueRequest.of(queue, "t", "6", 3)));
        done(store.enqueue(EnqueueRequest.of(queue, "t", "7", 3)));
        assertEquals(2, scriptCalls() - before, "enqueues from another thread go one by one");
        // Notices come in order on one connection: the two lone enqueues' come after the turn's.
        await().atMost(Duration.ofSeconds(10)).until(() -> notices.get() >= 5);
        assertEquals(5, notices.get(), "the subscription's own, two for the turn's two new jobs, one per lone enqueue");
        store.unwatch(queue);
    }

    /** Script calls the server has run (EVALSHA and EVAL). */
    private static long scriptCalls() {
        String stats = server.command("INFO", "commandstats");
        long calls = 0;
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:calls=") || line.startsWith("cmdstat_eval:calls=")) {
                calls += Long.parseLong(line.substring(line.indexOf('=') + 1, line.indexOf(',')));
            }
        }
        return calls;
    }

    private static long pending(String stream) {
        return Long.parseLong(server.command("EVAL", "return redis.call('XPENDING', KEYS[1], 'w')[1]", "1", stream)
                .substring(1));
    }

    @AfterEach
    void closeClients() {
        brokers.forEach(RedisBroker::close);
        brokers.clear();
        clients.forEach(Redis::close);
        clients.clear();
    }
}
