package dev.herald.jobs;

/**
 * A stored job: its id, and whether the request was a duplicate (an idempotency key seen before: the first
 * job's id and status, nothing stored).
 */
public record Enqueued(JobStatus status, boolean duplicate) {

    public String id() {
        return status.id();
    }
}
