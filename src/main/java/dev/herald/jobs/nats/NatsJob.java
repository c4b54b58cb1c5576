package dev.herald.jobs.nats;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.JobState;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.Settlement;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A job's document in the jobs bucket: its status, its input and its lease. Every change is a
 * compare-and-set on the entry's revision, so two nodes never both apply a transition to the same version.
 * Public fields for Jackson; a document is read, changed and written by one call, never shared.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
final class NatsJob {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public String id;
    public String queue;
    public String type;
    public String data;
    public String owner;
    /** The traceparent of the job's enqueue span, or null. */
    public String trace;
    public String state;
    public int attempt;
    public int maxAttempts;
    public int progress;
    public String progressMessage;
    public String progressData;
    public String result;
    public String error;
    public long createdAt;
    public long updatedAt;
    public long nextRunAt;
    public long startedAt;
    /** When the job was last queued: a queued job has waited since then. */
    public long queuedAt;
    public long timeoutMillis;
    public String lease;
    public long leaseUntil;
    public long visibilityMillis;
    /**
     * The acknowledgement subject of the ticket delivery that made the current lease: any node can move the
     * ticket's timer through it (settle it, or make it due at once or later).
     */
    public String handle;
    /** The lease that settled the job, and how ("ack" or "nack"): the same call again repeats the answer. */
    public String settledLease;
    public String settledBy;

    /** For Jackson. */
    public NatsJob() {
    }

    static NatsJob of(EnqueueRequest request, long now) {
        NatsJob job = new NatsJob();
        job.id = request.id();
        job.queue = request.queue().name();
        job.type = request.type();
        job.data = request.data();
        job.owner = request.owner();
        job.trace = request.trace();
        job.maxAttempts = request.maxAttempts();
        job.timeoutMillis = request.timeout() == null ? 0 : request.timeout().toMillis();
        job.createdAt = now;
        job.updatedAt = now;
        long delay = request.delay().toMillis();
        if (delay > 0) {
            job.state = JobState.DELAYED.wire();
            job.nextRunAt = now + delay;
        } else {
            job.state = JobState.QUEUED.wire();
            job.queuedAt = now;
        }
        return job;
    }

    JobState state() {
        return JobState.ofWire(state);
    }

    void state(JobState next) {
        state = next.wire();
    }

    /**
     * Whether {@code lease} may settle this job: null when it may, else the answer (a repeat of the same
     * settlement {@code op}, or a conflict).
     */
    Settlement check(String lease, String op) {
        return Settlement.check(state() == JobState.ACTIVE, this.lease, settledLease, settledBy, lease, op, this::status);
    }

    /** The current lease settles the job by {@code op}: the lease ends, and the same call may repeat. */
    void settle(String op, long now) {
        settledLease = lease;
        settledBy = op;
        lease = null;
        leaseUntil = 0;
        handle = null;
        updatedAt = now;
    }

    void queue(long now) {
        state(JobState.QUEUED);
        nextRunAt = 0;
        queuedAt = now;
        updatedAt = now;
    }

    void kill(long now) {
        state(JobState.DEAD);
        lease = null;
        leaseUntil = 0;
        handle = null;
        nextRunAt = 0;
        updatedAt = now;
    }

    JobStatus status() {
        return new JobStatus(id, QueueName.of(queue), type, state(), attempt, maxAttempts, progress, progressMessage,
                progressData, result, error, createdAt, updatedAt, nextRunAt, startedAt, owner, trace);
    }

    byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static NatsJob parse(byte[] value) {
        try {
            return JSON.readValue(value, NatsJob.class);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable job document", e);
        }
    }
}
