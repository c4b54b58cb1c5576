package dev.herald.broker.nats;

import dev.herald.broker.Retention;
import java.time.Duration;
import java.util.List;

/**
 * How a {@link NatsBroker} uses NATS.
 *
 * @param servers        NATS server URLs ({@code nats://host:4222}); the client learns the rest of a cluster
 * @param subjectPrefix  first token of every subject Herald uses (several deployments can share NATS)
 * @param stream         the JetStream stream holding every topic's history
 * @param bucket         the key-value bucket holding presence
 * @param replicas       replicas of the stream and the bucket (1, or 3 on a cluster)
 * @param retention      history per topic and idempotency window (the stream's duplicate window)
 * @param maxStreamBytes bound of the whole stream in bytes (-1: none); the oldest events go first
 * @param requestTimeout a read or management request not answered within this fails (503)
 * @param publishTimeout a publish not acknowledged within this has an unknown outcome (504)
 * @param presenceTtl    a presence member not refreshed within this has left (its node died)
 * @param maxHeldBytes   live events held across topics while gaps are filled
 */
public record NatsBrokerSettings(List<String> servers, String subjectPrefix, String stream, String bucket,
                                 int replicas, Retention retention, long maxStreamBytes, Duration requestTimeout,
                                 Duration publishTimeout, Duration presenceTtl, long maxHeldBytes) {

    public static final long DEFAULT_MAX_HELD_BYTES = 32L << 20;

    public NatsBrokerSettings {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("herald.nats.servers names no server");
        }
        if (!subjectPrefix.matches("[A-Za-z0-9_-]{1,32}")) {
            throw new IllegalArgumentException("herald.nats.subject-prefix must be 1-32 characters from A-Z a-z 0-9 _ -");
        }
        if (!stream.matches("[A-Za-z0-9_-]{1,32}") || !bucket.matches("[A-Za-z0-9_-]{1,32}")) {
            throw new IllegalArgumentException("herald.nats.stream and herald.nats.bucket must be 1-32 characters"
                    + " from A-Z a-z 0-9 _ -");
        }
        if (replicas < 1 || replicas > 5) {
            throw new IllegalArgumentException("herald.nats.replicas must be 1 to 5");
        }
    }

    /** Defaults for timeouts, presence and held events: what the contract tests use. */
    public static NatsBrokerSettings of(List<String> servers, String subjectPrefix, String stream, int replicas,
                                        Retention retention) {
        return new NatsBrokerSettings(servers, subjectPrefix, stream, stream + "_presence", replicas, retention, -1,
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(30), DEFAULT_MAX_HELD_BYTES);
    }

    /**
     * The stream's duplicate window: the idempotency window, but NATS refuses one longer than the stream's
     * max age (an event can only be a duplicate of one it still holds), and wants at least 100 ms.
     */
    public Duration duplicateWindow() {
        Duration window = retention.idempotencyWindow();
        if (window.compareTo(retention.maxAge()) > 0) {
            window = retention.maxAge();
        }
        return window.toMillis() < 100 ? Duration.ofMillis(100) : window;
    }
}
