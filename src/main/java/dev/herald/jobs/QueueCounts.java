package dev.herald.jobs;

/**
 * A queue's jobs by status; succeeded and dead count the jobs still retained.
 *
 * @param oldestWaitingMillis how long the oldest queued job has waited, or 0 when none waits
 */
public record QueueCounts(QueueName queue, long queued, long delayed, long active, long succeeded, long failed,
                          long dead, long oldestWaitingMillis) {
}
