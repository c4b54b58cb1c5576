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
import dev.herald.jobs.QuietQueues;
import dev.herald.support.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
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
