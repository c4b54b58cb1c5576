package dev.herald.ops;

/**
 * The domain events Herald counts. One Micrometer implementation ({@link MicrometerMetrics}); labels
 * are of low cardinality only (transport, reason, broker), never a topic or a user.
 */
public interface HeraldMetrics {

    void connectionOpened(String transport);

    void connectionClosed(String transport);

    void subscriptionsAdded(int topics);

    void subscriptionsRemoved(int topics);

    void eventPublished(boolean duplicate);

    /**
     * {@code count} events written to one connection in one write, counted at once (a counter update
     * per delivery is a measurable share of the fan-out's cost). The latencies of the live ones are
     * reported apart, through {@link #deliveryLatency}.
     */
    void eventsDelivered(String transport, int count);

    /** The publish-to-write latency of one live delivery (replays have none). */
    void deliveryLatency(String transport, long latencyMillis);

    /**
     * One event written to one connection, {@code latencyMillis} after it was published; negative for
     * replayed events, which count as deliveries but not in the live latency histogram.
     */
    default void eventDelivered(String transport, long latencyMillis) {
        eventsDelivered(transport, 1);
        if (latencyMillis >= 0) {
            deliveryLatency(transport, latencyMillis);
        }
    }

    void slowConsumerDropped(String transport);

    void eventsReplayed(int count);

    /** A {@code herald.reset} sent; reason is {@code history-exceeded} or {@code invalid-cursor}. */
    void resetSent(String reason);

    /** reason: missing, invalid, expired, forbidden. */
    void authFailed(String reason);
}
