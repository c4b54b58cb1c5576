package dev.herald.jobs;

import java.util.Locale;

/** Where a job stands; the lowercase name is its {@code status} in the API. */
public enum JobState {
    /** Waiting to be leased. */
    QUEUED,
    /** Waiting for its start time ({@code delay}) before it is queued. */
    DELAYED,
    /** Leased by a worker. */
    ACTIVE,
    /** Acknowledged: finished for good. */
    SUCCEEDED,
    /** Its last attempt failed; it will be queued again at {@code nextRunAt}. */
    FAILED,
    /** Out of attempts (or failed with {@code retry:false}): in the dead list until retried or forgotten. */
    DEAD;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static JobState ofWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** Finished jobs are forgotten after the retention. */
    public boolean finished() {
        return this == SUCCEEDED || this == DEAD;
    }
}
