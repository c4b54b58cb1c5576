package dev.herald.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts a real {@code nats-server -js} for a {@code @QuarkusTest} and points Herald at it
 * ({@code herald.broker=nats}). The server is reachable through {@link #server()} so fault tests can
 * kill and restart it.
 */
public class NatsTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile NatsServer server;

    public static NatsServer server() {
        return server;
    }

    @Override
    public Map<String, String> start() {
        server = NatsServer.startNew();
        return Map.of("herald.broker", "nats", "herald.nats.servers", server.url());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
