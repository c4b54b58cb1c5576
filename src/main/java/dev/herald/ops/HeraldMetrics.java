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
     * One event written to one connection, {@code latencyMillis} after it was published; negative for
     * replayed events, which count as deliveries but not in the live latency histogram.
     */
    void eventDelivered(String transport, long latencyMillis);

    /**
     * {@code count} events written to one connection in one write, counted at once: a counter update
     * per delivery is a measurable share of the fan-out's cost. Their live latencies are reported
     * apart, through {@link #deliveryLatency}.
     */
    default void eventsDelivered(String transport, int count) {
        for (int i = 0; i < count; i++) {
            eventDelivered(transport, -1);
        }
    }

    /** The latency of one live delivery counted through {@link #eventsDelivered}. */
    default void deliveryLatency(String transport, long latencyMillis) {
    }

    void slowConsumerDropped(String transport);

    void eventsReplayed(int count);

    /** A {@code herald.reset} sent; reason is {@code history-exceeded} or {@code invalid-cursor}. */
    void resetSent(String reason);

    /** reason: missing, invalid, expired, forbidden. */
    void authFailed(String reason);
}
