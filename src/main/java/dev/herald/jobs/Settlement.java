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

    public static Settlement notFound() {
        return new Settlement(Outcome.NOT_FOUND, null);
    }
}
