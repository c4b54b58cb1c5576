package dev.herald.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The job queue's settings ({@code herald.jobs.*}), a group of {@link HeraldConfig}. */
public interface JobsConfig {
    /** How long a lease lasts when the worker names no {@code visibility} (at most 12h). Default 30s. */
    @WithDefault("30s")
    Duration visibility();

    /** Attempts a job gets when its enqueue names no {@code maxAttempts}. Default 3. */
    @WithDefault("3")
    int maxAttempts();

    /** How long succeeded and dead jobs (and enqueue idempotency keys) are kept. Default 24h. */
    @WithDefault("24h")
    Duration retention();

    /** The delay before the first retry of a failed job; each further attempt doubles it. Default 1s. */
    @WithDefault("1s")
    Duration backoffBase();

    /** The longest delay between retries. Default 10m. */
    @WithDefault("10m")
    Duration backoffMax();

    /** Jobs one lease request may take at most ({@code max}). Default 100. */
    @WithDefault("100")
    int maxLeaseBatch();

    /**
     * Lease requests waiting for a job at once on this node; beyond it a lease that would wait gets 503
     * with Retry-After. Default 1000.
     */
    @WithDefault("1000")
    int maxWaitingLeases();

    /**
     * How often a waiting lease looks for a job even without a notice (expired leases, due retries, a
     * notice lost while Redis was unreachable). Default 1s.
     */
    @WithDefault("1s")
    Duration pollInterval();

    /**
     * Queues whose counts become gauges labelled with the queue's name ({@code herald_jobs_queue_*}: depth,
     * oldest waiting age, dead letters), refreshed every {@code gauge-interval}; keep the list short.
     * Default: none.
     */
    Optional<List<String>> gaugeQueues();

    /**
     * Queues whose jobs publish no lifecycle events on their topics {@code job:<id>} (queue patterns:
     * {@code thumbnails}, {@code import:*}, {@code *}): their jobs work as any others, and their enqueue
     * answers carry no topic. Each event is an append to the broker: on Redis this saves over half of the
     * commands and about a third of the CPU per job, for queues whose jobs nobody follows live. Give every
     * node the same list. Default: none.
     */
    Optional<List<String>> quietQueues();

    /** How often the counts of {@code gauge-queues} are read. Default 15s. */
    @WithDefault("15s")
    Duration gaugeInterval();
}
