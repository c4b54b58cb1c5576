package dev.herald.broker;

import java.time.Duration;

/**
 * How much history a broker keeps per topic, and how long idempotency keys are remembered.
 *
 * @param maxEvents          events kept per topic
 * @param maxAge             events older than this are dropped
 * @param maxTopics          topics kept in memory (memory broker; idle ones are evicted beyond it)
 * @param idempotencyWindow  how long an idempotency key is remembered per topic
 */
public record Retention(int maxEvents, Duration maxAge, int maxTopics, Duration idempotencyWindow) {
}
