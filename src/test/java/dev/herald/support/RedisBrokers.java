package dev.herald.support;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.redis.RedisBroker;
import dev.herald.broker.redis.RedisBrokerSettings;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A fresh redis-server and a Vert.x for tests of the Redis broker classes, outside Quarkus: the
 * clients and brokers made here are closed by {@link #close}, then Vert.x, then the server.
 */
public final class RedisBrokers implements AutoCloseable {

    private final RedisServer server;
    private final Vertx vertx;
    private final List<Redis> clients = new ArrayList<>();
    private final List<RedisBroker> brokers = new ArrayList<>();

    private RedisBrokers(RedisServer server, Vertx vertx) {
        this.server = server;
        this.vertx = vertx;
    }

    public static RedisBrokers start() {
        return new RedisBrokers(RedisServer.startNew(), Vertx.vertx());
    }

    public RedisServer server() {
        return server;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** A client of {@code url} (the server's, or a proxy's in front of it) with a pool of {@code maxPoolSize}. */
    public Redis client(String url, int maxPoolSize) {
        return client(new RedisOptions().setConnectionString(url).setMaxPoolSize(maxPoolSize));
    }

    /** As {@link #client(String, int)}, with at most {@code maxPoolWaiting} commands waiting for a connection. */
    public Redis client(String url, int maxPoolSize, int maxPoolWaiting) {
        return client(new RedisOptions().setConnectionString(url).setMaxPoolSize(maxPoolSize)
                .setMaxPoolWaiting(maxPoolWaiting));
    }

    /** A client with {@code options} as they are. */
    public synchronized Redis client(RedisOptions options) {
        Redis client = Redis.createClient(vertx, options);
        clients.add(client);
        return client;
    }

    public synchronized RedisBroker broker(Redis client, RedisBrokerSettings settings, BrokerMetrics metrics) {
        return broker(client, null, settings, metrics);
    }

    /** A broker whose commands from event loops go through a client per loop made by {@code loopClient}. */
    public synchronized RedisBroker broker(Redis client, Supplier<Redis> loopClient, RedisBrokerSettings settings,
                                           BrokerMetrics metrics) {
        RedisBroker broker = new RedisBroker(vertx, client, loopClient, settings, metrics);
        brokers.add(broker);
        return broker;
    }

    @Override
    public synchronized void close() {
        brokers.forEach(RedisBroker::close);
        clients.forEach(Redis::close);
        vertx.close().toCompletionStage().toCompletableFuture().join();
        server.close();
    }
}
