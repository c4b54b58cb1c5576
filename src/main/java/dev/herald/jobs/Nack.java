package dev.herald.jobs;

import dev.herald.event.InvalidInputException;
import java.time.Duration;
import java.util.Objects;

/**
 * A worker's failure report.
 *
 * @param error the failure's message (stored as the job's {@code error})
 * @param retry false to send the job to the dead list at once
 * @param delay when to queue it again; null for the exponential backoff with jitter
 */
public record Nack(String error, boolean retry, Duration delay) {

    public Nack {
        Objects.requireNonNull(error, "error");
        if (delay != null && delay.isNegative()) {
            throw new InvalidInputException("delay must not be negative");
        }
    }
}
