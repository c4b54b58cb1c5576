package dev.herald.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports, built with CLUSTER MEET
 * and ADDSLOTS (no redis-cli needed), for the broker contract suite.
 */
public final class RedisCluster implements AutoCloseable {

    private static final int SLOTS = 16384;
    private final List<RedisServer> masters;

    private RedisCluster(List<RedisServer> masters) {
        this.masters = masters;
    }

    /** Starts three cluster-enabled servers and joins them; fails with the reason when it cannot. */
    public static RedisCluster start() {
        List<RedisServer> masters = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                masters.add(RedisServer.startNew("--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
                        "--cluster-config-file", "nodes.conf"));
            }
            RedisServer first = masters.get(0);
            for (RedisServer other : masters.subList(1, 3)) {
                require(first.command("CLUSTER", "MEET", "127.0.0.1", String.valueOf(other.port())), "CLUSTER MEET");
            }
            for (int i = 0; i < 3; i++) {
                int from = SLOTS * i / 3;
                int to = SLOTS * (i + 1) / 3;
                List<String> args = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
                for (int slot = from; slot < to; slot++) {
                    args.add(String.valueOf(slot));
                }
                require(masters.get(i).command(args.toArray(String[]::new)), "CLUSTER ADDSLOTS");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                if (masters.stream().allMatch(m -> {
                    String info = m.command("CLUSTER", "INFO");
                    return info != null && info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3");
                })) {
                    return new RedisCluster(masters);
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            throw new IllegalStateException("the Redis Cluster did not reach cluster_state:ok within 30s");
        } catch (RuntimeException | InterruptedException e) {
            masters.forEach(RedisServer::close);
            throw new IllegalStateException("cannot start a Redis Cluster: " + e.getMessage(), e);
        }
    }

    private static void require(String reply, String what) {
        if (reply == null || !reply.startsWith("+OK")) {
            throw new IllegalStateException(what + " answered " + reply);
        }
    }

    /** Connection strings of every master, for {@code quarkus.redis.hosts} or RedisOptions. */
    public List<String> urls() {
        return masters.stream().map(RedisServer::url).collect(Collectors.toList());
    }

    public int majorVersion() {
        return masters.get(0).majorVersion();
    }

    @Override
    public void close() {
        masters.forEach(RedisServer::close);
    }
}
