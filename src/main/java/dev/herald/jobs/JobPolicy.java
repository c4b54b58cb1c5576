package dev.herald.jobs;

import java.time.Duration;

/**
 * How a job store treats jobs.
 *
 * @param retention   how long finished (succeeded or dead) jobs and idempotency keys are kept
 * @param backoffBase the first retry's delay; each further attempt doubles it
 * @param backoffMax  the longest retry delay
 */
public record JobPolicy(Duration retention, Duration backoffBase, Duration backoffMax) {

    /** The longest lease a store supports (and the API accepts). */
    public static final Duration MAX_VISIBILITY = Duration.ofHours(12);
    public static final JobPolicy DEFAULT = new JobPolicy(Duration.ofHours(24), Duration.ofSeconds(1),
            Duration.ofMinutes(10));

    /**
     * The delay before attempt {@code attempt + 1} after attempt {@code attempt} failed: exponential, capped,
     * with "equal jitter" (half fixed, half random, {@code random} in [0, 1)) so that jobs failed together do
     * not come back together.
     */
    public long backoffMillis(int attempt, double random) {
        long base = Math.max(1, backoffBase.toMillis());
        long cap = Math.max(base, backoffMax.toMillis());
        long exp = attempt >= 40 ? cap : Math.min(cap, base << Math.max(0, attempt - 1));
        return exp / 2 + (long) (exp / 2.0 * random);
    }
}
