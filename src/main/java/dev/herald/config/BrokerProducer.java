package dev.herald.config;

import dev.herald.broker.Broker;
import dev.herald.broker.Retention;
import dev.herald.broker.memory.MemoryBroker;
import dev.herald.broker.redis.RedisBroker;
import dev.herald.broker.redis.RedisBrokerSettings;
import dev.herald.ops.MicrometerMetrics;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import jakarta.enterprise.inject.Instance;
import dev.herald.hub.Hub;
import dev.herald.ops.HeraldMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** Builds the broker named by {@code herald.broker} and the node's hub on top of it. */
@ApplicationScoped
public class BrokerProducer {

    @Produces
    @ApplicationScoped
    Broker broker(HeraldConfig config, Vertx vertx, Instance<Redis> redis, MicrometerMetrics metrics) {
        Retention retention = new Retention(config.history().maxEvents(), config.history().maxAge(),
                config.history().maxTopics(), config.publish().idempotencyWindow());
        return switch (config.broker()) {
            case "memory" -> new MemoryBroker(retention);
            // The Redis client comes from quarkus.redis.* (hosts, client-type, pool, TLS, ...).
            case "redis" -> new RedisBroker(vertx, redis.get(), redisSettings(config, retention), metrics);
            default -> throw new IllegalStateException("herald.broker=" + config.broker()
                    + " is not supported; use 'memory' or 'redis'");
        };
    }

    private static RedisBrokerSettings redisSettings(HeraldConfig config, Retention retention) {
        HeraldConfig.Redis redis = config.redis();
        return new RedisBrokerSettings(redis.keyPrefix(), retention, redis.commandTimeout(), redis.idleTopicTtl(),
                redis.shardedPubsub(), config.presence().ttl(), redis.publishTimeout(), redis.pingInterval(),
                redis.pingTimeout(), redis.maxHeldBytes());
    }

    void close(@Disposes Broker broker) {
        broker.close();
    }

    @Produces
    @ApplicationScoped
    Hub hub(Broker broker, HeraldMetrics metrics, HeraldConfig config, Vertx vertx) {
        return new Hub(broker, metrics, config.subscriber().queueSize(), config.subscription().maxReplay(),
                config.subscription().linger(),
                (delay, task) -> vertx.setTimer(Math.max(1, delay.toMillis()), id -> task.run()));
    }
}
