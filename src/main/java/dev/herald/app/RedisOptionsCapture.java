package dev.herald.app;

import io.quarkus.arc.Unremovable;
import io.quarkus.redis.client.RedisOptionsCustomizer;
import io.quarkus.redis.runtime.client.config.RedisConfig;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import jakarta.inject.Singleton;
import java.util.function.Supplier;

/**
 * Keeps a copy of the options Quarkus builds for the default Redis client from {@code quarkus.redis.*}
 * (hosts, client type, password, TLS, pool), so that the Redis broker can make one more client with the
 * same options on each event loop ({@code LoopClients}). Quarkus hands every customizer the finished
 * options just before it creates the client; this one changes nothing.
 */
@Singleton
@Unremovable
public class RedisOptionsCapture implements RedisOptionsCustomizer {

    private volatile RedisOptions defaults;

    @Override
    public void customize(String clientName, RedisOptions options) {
        if (RedisConfig.isDefaultClient(clientName)) {
            defaults = new RedisOptions(options);
        }
    }

    /** Makes clients like the default one, or null when Quarkus has not built it (no Redis configured). */
    Supplier<Redis> factory(Vertx vertx) {
        RedisOptions options = defaults;
        return options == null ? null : () -> Redis.createClient(vertx, new RedisOptions(options));
    }
}
