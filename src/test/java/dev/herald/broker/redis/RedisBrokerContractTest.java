package dev.herald.broker.redis;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerContractTest;
import dev.herald.broker.BrokerMetrics;
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

/**
 * The broker contract against the Redis broker: n nodes are n brokers, each with its own Redis client
 * and pub/sub connection, on one real redis-server.
 */
class RedisBrokerContractTest extends BrokerContractTest {

    private static RedisServer server;
    private static Vertx vertx;
    private final List<Redis> clients = new ArrayList<>();

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
    protected List<Broker> brokers(int n) {
        // A unique key prefix per test keeps tests apart on the shared server.
        String keyPrefix = "ht" + UUID.randomUUID().toString().substring(0, 8) + ":";
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(server.url())
                    .setMaxPoolSize(8).setMaxPoolWaiting(1000));
            clients.add(client);
            brokers.add(new RedisBroker(vertx, client, new RedisBrokerSettings(keyPrefix, retention(),
                    Duration.ofSeconds(5), Duration.ofHours(1), false), BrokerMetrics.NONE));
        }
        return brokers;
    }

    @AfterEach
    void closeClients() {
        clients.forEach(Redis::close);
        clients.clear();
    }
}
