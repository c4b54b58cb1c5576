package dev.herald.support;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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
            List<HeraldProcess> both = HeraldProcess.startBoth(name + "-a", all, name + "-b", all);
            nodes.a = both.get(0);
            nodes.b = both.get(1);
            return nodes;
        } catch (IOException | RuntimeException e) {
            nodes.close();
            throw e;
        }
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
