package dev.herald.broker.redis;

import org.jboss.logging.Logger;

/**
 * Redis's own bound on memory, read from {@code INFO memory}: {@code maxmemory} (0: none) and
 * {@code maxmemory-policy}. Herald bounds each topic's stream; only {@code maxmemory} bounds them all.
 * Every key Herald writes has a TTL, so any evicting policy ({@code volatile-*} as much as
 * {@code allkeys-*}) may drop a stream, a meta hash or an idempotency key when Redis is full: history
 * vanishes without a floor (a resume from before it sees no reset) and a retried publish is stored
 * twice. With {@code noeviction} a full Redis refuses the write instead and the publish answers 503.
 *
 * @param maxmemory bytes, 0 when unbounded, -1 when INFO did not say
 * @param policy    the eviction policy, or null when INFO did not say
 */
record RedisMemoryPolicy(long maxmemory, String policy) {

    static RedisMemoryPolicy of(String info) {
        long max = -1;
        String policy = null;
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("maxmemory:")) {
                try {
                    max = Long.parseLong(line.substring("maxmemory:".length()).trim());
                } catch (NumberFormatException e) {
                    max = -1;
                }
            } else if (line.startsWith("maxmemory_policy:")) {
                policy = line.substring("maxmemory_policy:".length()).trim();
            }
        }
        return new RedisMemoryPolicy(max, policy);
    }

    boolean safe() {
        return maxmemory > 0 && "noeviction".equals(policy);
    }

    /** What an operator should change, or null when nothing. */
    String warning() {
        if (safe()) {
            return null;
        }
        StringBuilder w = new StringBuilder("Redis memory is not bounded safely for Herald:");
        if (maxmemory == 0) {
            w.append(" maxmemory is 0 (none), so Redis grows with the topics until its host runs out of memory;");
        } else if (maxmemory < 0) {
            w.append(" maxmemory is unknown (INFO memory did not say);");
        }
        if (!"noeviction".equals(policy)) {
            w.append(" maxmemory-policy is ").append(policy == null ? "unknown" : policy)
                    .append(", which may evict Herald's streams and idempotency keys silently (history lost"
                            + " without a reset, retried publishes stored twice);");
        }
        return w.append(" set maxmemory and maxmemory-policy noeviction, so that a full Redis refuses"
                + " publishes (503) instead").toString();
    }

    void log(Logger log) {
        String warning = warning();
        if (warning != null) {
            log.warn(warning);
        } else {
            log.infof("Redis maxmemory %d bytes, policy noeviction: a full Redis refuses publishes (503)", maxmemory);
        }
    }
}
