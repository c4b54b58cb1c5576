package dev.herald.hub;

/**
 * The transport side of a {@link Subscription}: a connection that the hub wakes up when deliveries are
 * queued and tells to close. Both methods may be called from any thread and must not block.
 */
public interface SubscriberSink {

    /** Deliveries are queued: call {@link Subscription#drain} on the connection's own thread. */
    void wakeUp();

    /** The hub dropped this subscription (slow consumer, lost history): end the connection. */
    void close(CloseReason reason);

    enum CloseReason {
        /** The outbound queue filled up; the client reconnects with its cursor and catches up. */
        SLOW_CONSUMER,
        /** The broker lost events of a topic (longer outage than the retention): reconnect for a reset. */
        RESYNC
    }
}
