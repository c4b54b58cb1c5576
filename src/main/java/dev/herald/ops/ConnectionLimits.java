package dev.herald.ops;

import dev.herald.config.HeraldConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections per user on this node (DESIGN.md section 6: a stolen token or a runaway tab loop cannot
 * hold unbounded connections). Counted per node: behind a load balancer a user's connections spread
 * over the nodes, so the cluster-wide bound is this times the number of nodes.
 */
@ApplicationScoped
public class ConnectionLimits {

    private final int perUser;
    private final ConcurrentHashMap<String, Integer> byUser = new ConcurrentHashMap<>();

    public ConnectionLimits(HeraldConfig config) {
        this.perUser = config.ws().maxConnectionsPerUser();
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
