package dev.herald.jobs;

/**
 * The answer to a progress report, an ack, a nack or a retry.
 *
 * @param status the job's status document after the call, or null when {@code outcome} is {@link Outcome#NOT_FOUND}
 */
public record Settlement(Outcome outcome, JobStatus status) {

    public enum Outcome {
        /** The call changed the job. */
        APPLIED,
        /** The same ack or nack with the same lease came before: nothing changed, the same answer. */
        REPEATED,
        /**
         * The lease is not the job's current lease (it expired and the job was leased again, or the job was
         * settled by another call), or the job is not in a state the call applies to: nothing changed.
         */
        CONFLICT,
        /** No such job (never existed, or forgotten after the retention). */
        NOT_FOUND
    }

    /**
     * The rule every store applies before a worker's call changes a job: null when {@code lease} is the
     * active job's current lease (the call goes on); {@link Outcome#REPEATED} when the same {@code op} (ack or
     * nack, never null for a repeatable call) already settled the job with that lease; else
     * {@link Outcome#CONFLICT}. Both answers carry the job's status, read only when one is given.
     */
    public static Settlement check(boolean active, String current, String settledLease, String settledBy,
                                   String lease, String op, java.util.function.Supplier<JobStatus> status) {
        if (active && lease.equals(current)) {
            return null;
        }
        if (op != null && lease.equals(settledLease) && op.equals(settledBy)) {
            return new Settlement(Outcome.REPEATED, status.get());
        }
        return new Settlement(Outcome.CONFLICT, status.get());
    }

    public static Settlement notFound() {
        return new Settlement(Outcome.NOT_FOUND, null);
    }
}
