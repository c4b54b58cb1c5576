package dev.herald.jobs.redis;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.redis.RedisBroker;
import dev.herald.broker.redis.RedisBrokerSettings;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.JobStoreContractTest;
import dev.herald.jobs.QuietQueues;
import dev.herald.support.RedisCluster;
import io.vertx.redis.client.RedisClientType;
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

/**
 * The job store contract on a 3-master Redis Cluster: a queue's keys and its jobs' keys share one hash
 * tag, so every script call runs on one shard; availability notices cross shards (PUBLISH).
 */
class RedisClusterJobStoreContractTest extends JobStoreContractTest {

    private static RedisCluster server;
    private static Vertx vertx;
    private final List<Redis> clients = new ArrayList<>();
    private final List<RedisBroker> brokers = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        server = RedisCluster.start();
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
        String keyPrefix = "hcj" + UUID.randomUUID().toString().substring(0, 8) + ":";
        List<JobStore> stores = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RedisOptions options = new RedisOptions().setType(RedisClientType.CLUSTER)
                    .setMaxPoolSize(8).setMaxPoolWaiting(1000);
            server.urls().forEach(options::addConnectionString);
            Redis client = Redis.createClient(vertx, options);
            clients.add(client);
            RedisBroker broker = new RedisBroker(vertx, client, new RedisBrokerSettings(keyPrefix,
                    RedisJobStoreContractTest.RETENTION, Duration.ofSeconds(5), Duration.ofHours(1), false),
                    BrokerMetrics.NONE);
            brokers.add(broker);
            stores.add(new RedisJobStore(broker, vertx, client, policy, false, QuietQueues.NONE));
        }
        return stores;
    }

    @AfterEach
    void closeClients() {
        brokers.forEach(RedisBroker::close);
        brokers.clear();
        clients.forEach(Redis::close);
        clients.clear();
    }
}
