package dev.herald.broker.redis;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerContractTest;
import dev.herald.broker.BrokerMetrics;
import dev.herald.support.RedisCluster;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The broker contract against a 3-master Redis Cluster. A topic's stream, meta hash, idempotency keys
 * and channel share the {topic} hash tag, so each publish script runs on one shard. Live events use
 * sharded pub/sub (SPUBLISH/SSUBSCRIBE) on Redis 7, and cluster-wide PUBLISH/SUBSCRIBE on Redis 6.
 */
class RedisClusterBrokerContractTest extends BrokerContractTest {

    private static RedisCluster cluster;
    private static Vertx vertx;
    private final List<Redis> clients = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopCluster() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected List<Broker> brokers(int n) {
        String keyPrefix = "hc" + UUID.randomUUID().toString().substring(0, 8) + ":";
        boolean sharded = cluster.majorVersion() >= 7;
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RedisOptions options = new RedisOptions().setType(RedisClientType.CLUSTER)
                    .setMaxPoolSize(8).setMaxPoolWaiting(1000);
            cluster.urls().forEach(options::addConnectionString);
            Redis client = Redis.createClient(vertx, options);
            clients.add(client);
            brokers.add(new RedisBroker(vertx, client, new RedisBrokerSettings(keyPrefix, retention(),
                    Duration.ofSeconds(5), Duration.ofHours(1), sharded), BrokerMetrics.NONE));
        }
        return brokers;
    }

    @AfterEach
    void closeClients() {
        clients.forEach(Redis::close);
        clients.clear();
    }
}
