package dev.herald.jobs;

import dev.herald.event.Event;
import dev.herald.event.TraceParent;
import dev.herald.event.InvalidInputException;
import java.time.Duration;
import java.util.Objects;

/**
 * One job to enqueue.
 *
 * @param type           what kind of job (the event-type rule: 1–64 of {@code A-Z a-z 0-9 _ - . :})
 * @param data           the job's input, compact JSON
 * @param idempotencyKey a key seen for the same queue within the retention answers with the first job, or null
 * @param delay          queued only after this (zero: at once)
 * @param maxAttempts    leases the job gets before it is dead, at least 1
 * @param timeout        how long each lease of this job lasts, overriding the worker's visibility, or null
 * @param owner          the enqueuing subject (may read the job and follow its topic), or null
 * @param id             the new job's id ({@link JobIds#newId}), drawn before the job is stored so that its
 *                       {@code job.queued} event can be published first; unused when the key is a duplicate
 * @param trace          the traceparent of the enqueue span, stored with the job, or null
 */
public record EnqueueRequest(QueueName queue, String type, String data, String idempotencyKey, Duration delay,
                             int maxAttempts, Duration timeout, String owner, String id, String trace) {

    public EnqueueRequest {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(data, "data");
        Event.requireValidType(type);
        delay = delay == null ? Duration.ZERO : delay;
        if (delay.isNegative()) {
            throw new InvalidInputException("delay must not be negative");
        }
        if (maxAttempts < 1) {
            throw new InvalidInputException("maxAttempts must be at least 1");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new InvalidInputException("timeout must be positive");
        }
        if (!JobIds.isValid(id) || !JobIds.tagOf(id).equals(JobIds.tag(queue))) {
            throw new IllegalArgumentException("not a job id of queue " + queue + ": " + id);
        }
        trace = TraceParent.orNull(trace);
    }

    /** An untraced request with the given id. */
    public EnqueueRequest(QueueName queue, String type, String data, String idempotencyKey, Duration delay,
                          int maxAttempts, Duration timeout, String owner, String id) {
        this(queue, type, data, idempotencyKey, delay, maxAttempts, timeout, owner, id, null);
    }

    /** The same request, stored with {@code trace}. */
    public EnqueueRequest withTrace(String trace) {
        return new EnqueueRequest(queue, type, data, idempotencyKey, delay, maxAttempts, timeout, owner, id, trace);
    }

    /** A request with a new id. */
    public EnqueueRequest(QueueName queue, String type, String data, String idempotencyKey, Duration delay,
                          int maxAttempts, Duration timeout, String owner) {
        this(queue, type, data, idempotencyKey, delay, maxAttempts, timeout, owner, JobIds.newId(queue, owner));
    }

    /**
     * The status document the job has once stored at {@code now}: what its {@code job.queued} event carries
     * when it is published before the job is stored (times by this node's clock), and what a store that
     * does not read the stored job back answers (times by the store's clock).
     */
    public JobStatus expectedStatus(long now) {
        long delayMillis = delay.toMillis();
        return new JobStatus(id, queue, type, delayMillis > 0 ? JobState.DELAYED : JobState.QUEUED, 0, maxAttempts, 0,
                null, null, null, null, now, now, delayMillis > 0 ? now + delayMillis : 0, 0, owner, trace);
    }

    /** A job with the given type and data, no key, no delay, {@code maxAttempts} attempts, no timeout, no owner. */
    public static EnqueueRequest of(QueueName queue, String type, String data, int maxAttempts) {
        return new EnqueueRequest(queue, type, data, null, Duration.ZERO, maxAttempts, null, null);
    }
}
