package dev.herald.app;

import dev.herald.config.HeraldConfig;
import dev.herald.broker.Broker;
import dev.herald.broker.Retention;
import dev.herald.broker.memory.MemoryBroker;
import dev.herald.broker.nats.NatsBroker;
import dev.herald.broker.redis.RedisBroker;
import dev.herald.broker.redis.RedisBrokerSettings;
import dev.herald.metrics.MicrometerMetrics;
import io.quarkus.arc.ClientProxy;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import jakarta.enterprise.inject.Instance;
import dev.herald.hub.Hub;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.tracing.Tracing;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.util.Optional;

/** Builds the broker named by {@code herald.broker} and the node's hub on top of it. */
@ApplicationScoped
public class CompositionRoot {

    @Produces
    @ApplicationScoped
    Broker broker(HeraldConfig config, Vertx vertx, Instance<Redis> redis, RedisOptionsCapture redisOptions,
                  MicrometerMetrics metrics) {
        Retention retention = retention(config, Retention.ByteLimits.maxHeap());
        return switch (config.broker()) {
            case "memory" -> new MemoryBroker(retention, metrics);
            // The Redis client comes from quarkus.redis.* (hosts, client-type, pool, TLS, ...); commands go
            // through one more client like it per event loop (made once Quarkus has built the first).
            case "redis" -> {
                Redis shared = redis.get();
                yield new RedisBroker(vertx, shared, redisOptions.factory(vertx), redisSettings(config, retention),
                        metrics);
            }
            case "nats" -> new NatsBroker(NatsSettingsFactory.of(config, retention), metrics);
            default -> throw new IllegalStateException("herald.broker=" + config.broker()
                    + " is not supported; use 'memory', 'redis' or 'nats'");
        };
    }

    /** The retention configured, with byte limits sized from {@code maxHeap} where they are not set. */
    static Retention retention(HeraldConfig config, long maxHeap) {
        Retention.ByteLimits defaults = Retention.ByteLimits.ofHeap(maxHeap);
        Retention.ByteLimits bytes = new Retention.ByteLimits(
                bytes(config.history().maxTopicBytes(), defaults.perTopic(), "herald.history.max-topic-bytes"),
                bytes(config.history().maxBytes(), defaults.perNode(), "herald.history.max-bytes"),
                bytes(config.publish().idempotencyMaxBytes(), defaults.idempotencyKeys(),
                        "herald.publish.idempotency-max-bytes"));
        return new Retention(config.history().maxEvents(), config.history().maxAge(), config.history().maxTopics(),
                config.publish().idempotencyWindow(), bytes);
    }

    private static long bytes(Optional<MemorySize> configured, long byDefault, String property) {
        if (configured.isEmpty()) {
            return byDefault;
        }
        long value = configured.get().asLongValue();
        if (value < 1) {
            throw new IllegalStateException(property + "=" + value + " must be a positive size, e.g. 64M");
        }
        return value;
    }

    /** Redis mode: Redis's memory bound is checked (and warned about) at startup, not at the first probe. */
    void checkRedisMemory(@Observes StartupEvent event, Broker broker) {
        // The broker is a CDI client proxy: unwrap it, or the check never sees a RedisBroker.
        if (ClientProxy.unwrap(broker) instanceof RedisBroker redis) {
            redis.checkMemoryPolicy().subscribe().with(done -> {
            });
        }
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
    Hub hub(Broker broker, HeraldMetrics metrics, HeraldConfig config, Vertx vertx, Tracing tracing) {
        return new Hub(broker, metrics, config.subscriber().queueSize(), config.subscription().maxReplay(),
                config.subscription().linger(),
                (delay, task) -> vertx.setTimer(Math.max(1, delay.toMillis()), id -> task.run()), tracing);
    }
}
