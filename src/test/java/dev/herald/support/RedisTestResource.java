package dev.herald.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts a real redis-server for a {@code @QuarkusTest} and points Herald at it
 * ({@code herald.broker=redis}). The server is reachable through {@link #server()} so fault tests can
 * stop and restart it.
 */
public class RedisTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile RedisServer server;

    public static RedisServer server() {
        return server;
    }

    @Override
    public Map<String, String> start() {
        server = RedisServer.startNew();
        return Map.of("herald.broker", "redis", "quarkus.redis.hosts", server.url());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
