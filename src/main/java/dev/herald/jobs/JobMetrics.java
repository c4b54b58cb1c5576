package dev.herald.jobs;

/**
 * The job events Herald counts (names {@code herald_jobs_*}; the only label is the store's name, never a
 * queue or a job). One Micrometer implementation; {@link #NONE} for tests.
 */
public interface JobMetrics {

    JobMetrics NONE = new JobMetrics() {
    };

    /** A job stored (not a duplicate). */
    default void enqueued() {
    }

    default void leased(int jobs) {
    }

    /** Jobs leased again after their lease expired. */
    default void redelivered(int jobs) {
    }

    /** A job acknowledged, {@code millis} after its lease began. */
    default void succeeded(long millis) {
    }

    /** A failed attempt that will be retried. */
    default void failed() {
    }

    /** A job out of attempts, failed without retry, or whose last lease expired. */
    default void dead() {
    }

    /** A settlement refused because its lease is not the job's current one (HTTP 409). */
    default void staleLease() {
    }

    /**
     * The latest counts of a queue named in {@code herald.jobs.gauge-queues} (queue depth, oldest waiting
     * age, dead letters): the one place a queue's name becomes a label, for queues the operator chose.
     */
    default void queueObserved(QueueCounts counts) {
    }
}
