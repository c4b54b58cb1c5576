package dev.herald.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Two Herald nodes (processes of the packaged jar) on one fresh redis-server, with a key prefix of
 * their own; {@link #close} stops all three.
 */
public final class HeraldNodes implements AutoCloseable {

    private final RedisServer redis;
    private HeraldProcess a;
    private HeraldProcess b;

    private HeraldNodes(RedisServer redis) {
        this.redis = redis;
    }

    /** Starts Redis and nodes {@code <name>-a} and {@code <name>-b} with {@code config} on top of the Redis settings. */
    public static HeraldNodes start(String name, Map<String, String> config) throws IOException {
        HeraldNodes nodes = new HeraldNodes(RedisServer.startNew());
        try {
            Map<String, String> all = new HashMap<>(config);
            all.put("herald.broker", "redis");
            all.put("quarkus.redis.hosts", nodes.redis.url());
            all.put("herald.redis.key-prefix", name + UUID.randomUUID().toString().substring(0, 6) + ":");
            // Both at once: two JVMs starting side by side take little longer than one.
            CompletableFuture<HeraldProcess> a = CompletableFuture.supplyAsync(() -> startNode(name + "-a", all));
            CompletableFuture<HeraldProcess> b = CompletableFuture.supplyAsync(() -> startNode(name + "-b", all));
            try {
                CompletableFuture.allOf(a, b).join(); // returns or throws once both are done
            } finally {
                nodes.a = started(a);
                nodes.b = started(b);
            }
            return nodes;
        } catch (CompletionException e) {
            nodes.close();
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        } catch (RuntimeException e) {
            nodes.close();
            throw e;
        }
    }

    private static HeraldProcess startNode(String name, Map<String, String> config) {
        try {
            return HeraldProcess.start(name, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The node, or null when it did not start. */
    private static HeraldProcess started(CompletableFuture<HeraldProcess> node) {
        return node.isDone() && !node.isCompletedExceptionally() ? node.join() : null;
    }

    public RedisServer redis() {
        return redis;
    }

    public HeraldProcess a() {
        return a;
    }

    public HeraldProcess b() {
        return b;
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, redis}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }
}
