package dev.herald.broker;

import java.util.function.LongSupplier;

/** What a broker reports about itself; implemented by the node's metrics. Every report is ignored by default. */
public interface BrokerMetrics {

    /** The broker's live connection came back after a loss. */
    default void brokerReconnected(String broker) {
    }

    /** Events recovered from history after a reconnect and handed to the listener. */
    default void gapFilled(String broker, int events) {
    }

    /** One command to the backend finished (successfully or not) after {@code nanos}. */
    default void brokerCommand(String broker, String command, long nanos) {
    }

    /**
     * {@code events} were dropped from history by a byte bound ({@link Retention.ByteLimits}) rather
     * than by count or age: {@code reason} is {@code topic-bytes} or {@code node-bytes}.
     */
    default void historyEvicted(String broker, String reason, int events) {
    }

    /** Idempotency keys forgotten before their window ended, because the node's budget for keys was full. */
    default void idempotencyKeysEvicted(String broker, int keys) {
    }

    /**
     * What the broker holds in this node's memory: {@code what} ({@code history} or {@code idempotency})
     * takes {@code bytes} (read when the metrics are scraped) of at most {@code maxBytes}.
     */
    default void heldInMemory(String broker, String what, LongSupplier bytes, long maxBytes) {
    }

    /** A publish was sent to the backend and not answered in time: it may or may not be stored. */
    default void publishOutcomeUnknown(String broker) {
    }

    BrokerMetrics NONE = new BrokerMetrics() {
    };
}
