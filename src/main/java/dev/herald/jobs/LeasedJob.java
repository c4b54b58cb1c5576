package dev.herald.jobs;

/**
 * A job handed to a worker: its input, and the lease that alone may settle it until {@code leaseUntil}.
 *
 * @param status     the job's status document after the lease (active, attempt counted)
 * @param data       the job's input, compact JSON
 * @param lease      the opaque lease token
 * @param leaseUntil when the lease expires unless extended by progress (epoch ms)
 */
public record LeasedJob(JobStatus status, String data, String lease, long leaseUntil) {

    public String id() {
        return status.id();
    }
}
