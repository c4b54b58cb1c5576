package dev.herald.metrics;

import java.util.function.LongSupplier;

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
     * The delivery meters of one transport. Connections resolve it once and keep it: the fan-out calls
     * it per write and per delivery, where a lookup by name was a measurable share of the cost.
     */
    DeliveryMeter deliveries(String transport);

    /** Deliveries of one transport. Any thread. */
    interface DeliveryMeter {

        /**
         * {@code count} events written to one connection in one write, counted at once (a counter
         * update per delivery is a measurable share of the fan-out's cost). The latencies of the live
         * ones are reported apart, through {@link #latency}.
         */
        void delivered(int count);

        /** The publish-to-write latency of one live delivery (replays have none). */
        void latency(long millis);

        /** One event written to one connection, published at {@code ts}; replayed ones have no latency. */
        default void deliveredOne(long ts, boolean replayed) {
            delivered(1);
            if (!replayed) {
                latency(System.currentTimeMillis() - ts);
            }
        }
    }

    void slowConsumerDropped(String transport);

    void eventsReplayed(int count);

    /** A {@code herald.reset} sent; reason is {@code history-exceeded} or {@code invalid-cursor}. */
    void resetSent(String reason);

    /** reason: missing, invalid, expired, forbidden. */
    void authFailed(String reason);

    /**
     * An HTTP request refused for how it was sent rather than what it asked; reason is
     * {@code body-timeout}, {@code body-too-large}, {@code bodies-pending}, {@code body-aborted},
     * {@code smuggling}, {@code dot-segments} or {@code malformed-request}.
     */
    void requestRefused(String reason);

    /**
     * A connection or poll refused because the node is at one of its caps; {@code reason} names the cap
     * ({@code node-full}: {@code herald.subscriber.max-connections}; {@code too-many-polls}:
     * {@code herald.poll.max-held}).
     */
    default void refused(String transport, String reason) {
    }

    /** This node's presence members (a WebSocket subscription of one user to one tracked topic each), read on scrape. */
    default void presenceMembers(LongSupplier members) {
    }
}
