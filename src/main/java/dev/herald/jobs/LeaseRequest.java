package dev.herald.jobs;

import dev.herald.event.InvalidInputException;
import java.time.Duration;

/**
 * A worker asks for up to {@code max} jobs of {@code queue}, each leased for {@code visibility} (unless the
 * job has its own {@code timeout}).
 */
public record LeaseRequest(QueueName queue, int max, Duration visibility) {

    public LeaseRequest {
        if (max < 1) {
            throw new InvalidInputException("max must be at least 1");
        }
        if (visibility.isNegative() || visibility.isZero()) {
            throw new InvalidInputException("visibility must be positive");
        }
    }
}
