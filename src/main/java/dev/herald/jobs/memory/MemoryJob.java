package dev.herald.jobs.memory;

import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.JobState;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.Settlement;

/** One job's mutable state in a {@link MemoryJobStore}, guarded by the store's lock. */
final class MemoryJob {

    final String id;
    final QueueName queue;
    final String type;
    final String data;
    final long timeoutMillis;
    final String owner;
    final String trace;
    final long createdAt;
    JobState state;
    int attempt;
    int maxAttempts;
    int progress;
    String progressMessage;
    String progressData;
    String result;
    String error;
    long updatedAt;
    long nextRunAt;
    long startedAt;
    /** When the job was last queued: a queued job has waited since then. */
    long queuedAt;
    String lease;
    long leaseUntil;
    long visibilityMillis;
    /** The lease that settled the job, and how ("ack" or "nack"): the same call again repeats the answer. */
    String settledLease;
    String settledBy;
    long finishedAt;

    MemoryJob(String id, EnqueueRequest request, long now) {
        this.id = id;
        this.queue = request.queue();
        this.type = request.type();
        this.data = request.data();
        this.timeoutMillis = request.timeout() == null ? 0 : request.timeout().toMillis();
        this.owner = request.owner();
        this.trace = request.trace();
        this.maxAttempts = request.maxAttempts();
        this.createdAt = now;
        this.updatedAt = now;
    }

    /**
     * Whether {@code lease} may settle this job: null when it may, else the answer (a repeat of the same
     * settlement {@code op}, or a conflict).
     */
    Settlement check(String lease, String op) {
        return Settlement.check(state == JobState.ACTIVE, this.lease, settledLease, settledBy, lease, op, this::status);
    }

    /** The current lease settles the job by {@code op}: the lease ends, and the same call may repeat. */
    void settle(String op, long now) {
        settledLease = lease;
        settledBy = op;
        lease = null;
        leaseUntil = 0;
        updatedAt = now;
    }

    JobStatus status() {
        return new JobStatus(id, queue, type, state, attempt, maxAttempts, progress, progressMessage, progressData,
                result, error, createdAt, updatedAt, nextRunAt, startedAt, owner, trace);
    }
}
