package dev.herald.ops;

import dev.herald.metrics.HeraldMetrics;
import dev.herald.config.HeraldConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds on the long-lived connections of this node (README, "Configuration"; docs/operations.md, "Memory bounds"): SSE
 * streams and WebSockets together ({@code herald.subscriber.max-connections}: memory and file
 * descriptors), and WebSockets per user ({@code herald.ws.max-connections-per-user}: a stolen token or
 * a runaway tab loop cannot hold unbounded connections). Counted per node: behind a load balancer a
 * user's connections spread over the nodes, so the cluster-wide bound is this times the nodes.
 *
 * <p>Connections without a token (anonymous SSE streams, held anonymous polls, WebSockets not yet
 * authenticated) have a place of their own ({@code herald.subscriber.max-anonymous-connections}): anyone
 * can open them, so they must never take the places of users with a token. The node therefore holds
 * at most the two limits added up.
 */
@ApplicationScoped
public class ConnectionLimits {

    private final int perUser;
    private final int perNode;
    private final int anonymousPerNode;
    private final HeraldMetrics metrics;
    private final ConcurrentHashMap<String, Integer> byUser = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger anonymous = new AtomicInteger();

    public ConnectionLimits(HeraldConfig config, HeraldMetrics metrics) {
        this.perUser = config.ws().maxConnectionsPerUser();
        this.perNode = config.subscriber().maxConnections();
        this.anonymousPerNode = config.subscriber().maxAnonymousConnections();
        this.metrics = metrics;
    }

    /**
     * Counts a new connection of this node ({@code transport} names it in the refusals metric); returns its release (idempotent, call it whatever way the
     * connection ends), or null when the node is at {@code herald.subscriber.max-connections}.
     */
    public Runnable tryOpen(String transport) {
        return tryTake(open, perNode, transport, "node-full");
    }

    /**
     * Counts a new connection without a token; returns its release (idempotent), or null when the node
     * holds {@code herald.subscriber.max-anonymous-connections} of them already.
     */
    public Runnable tryOpenAnonymous(String transport) {
        return tryTake(anonymous, anonymousPerNode, transport, "anonymous-full");
    }

    private Runnable tryTake(AtomicInteger count, int limit, String transport, String refusal) {
        if (count.incrementAndGet() > limit) {
            count.decrementAndGet();
            metrics.refused(transport, refusal);
            return null;
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        };
    }

    public int perUser() {
        return perUser;
    }

    /** Counts a connection of {@code user}; false (and nothing counted) when the user is at the limit. */
    public boolean tryAcquire(String user) {
        boolean[] acquired = new boolean[1];
        byUser.compute(user, (u, n) -> {
            int current = n == null ? 0 : n;
            if (current >= perUser) {
                return n;
            }
            acquired[0] = true;
            return current + 1;
        });
        return acquired[0];
    }

    public void release(String user) {
        byUser.computeIfPresent(user, (u, n) -> n <= 1 ? null : n - 1);
    }
}
