package dev.herald.broker.redis;

import dev.herald.broker.Retention;
import java.time.Duration;

/**
 * How a {@link RedisBroker} uses Redis.
 *
 * @param keyPrefix      prefix of every key and channel (several Herald deployments can share a Redis)
 * @param retention      history per topic and idempotency window
 * @param commandTimeout a command other than a publish not answered within this fails (503)
 * @param idleTopicTtl   a topic's keys expire after this long without a publish
 * @param shardedPubSub  use SPUBLISH/SSUBSCRIBE (Redis 7 cluster) instead of PUBLISH/SUBSCRIBE
 * @param presenceTtl    a presence member not refreshed within this has left (its node died)
 * @param publishTimeout a publish not sent within this is refused (503); one sent but not answered
 *                       within this has an unknown outcome (504)
 * @param pingInterval   how often the pub/sub connection is probed
 * @param pingTimeout    a probe not answered within this: the pub/sub connection is treated as lost
 * @param maxHeldBytes   live events held across topics while gaps are filled after a reconnect
 */
public record RedisBrokerSettings(String keyPrefix, Retention retention, Duration commandTimeout,
                                  Duration idleTopicTtl, boolean shardedPubSub, Duration presenceTtl,
                                  Duration publishTimeout, Duration pingInterval, Duration pingTimeout,
                                  long maxHeldBytes) {

    public static final Duration DEFAULT_PRESENCE_TTL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(5);
    public static final long DEFAULT_MAX_HELD_BYTES = 32L << 20;

    /** Settings with the defaults for presence, probes and held events; publishes share the command timeout. */
    public RedisBrokerSettings(String keyPrefix, Retention retention, Duration commandTimeout,
                               Duration idleTopicTtl, boolean shardedPubSub) {
        this(keyPrefix, retention, commandTimeout, idleTopicTtl, shardedPubSub, DEFAULT_PRESENCE_TTL,
                commandTimeout, DEFAULT_PING_INTERVAL, DEFAULT_PING_TIMEOUT, DEFAULT_MAX_HELD_BYTES);
    }

    public RedisBrokerSettings withPublishTimeout(Duration timeout) {
        return new RedisBrokerSettings(keyPrefix, retention, commandTimeout, idleTopicTtl, shardedPubSub,
                presenceTtl, timeout, pingInterval, pingTimeout, maxHeldBytes);
    }

    public RedisBrokerSettings withPing(Duration interval, Duration timeout) {
        return new RedisBrokerSettings(keyPrefix, retention, commandTimeout, idleTopicTtl, shardedPubSub,
                presenceTtl, publishTimeout, interval, timeout, maxHeldBytes);
    }

    public RedisBrokerSettings withMaxHeldBytes(long bytes) {
        return new RedisBrokerSettings(keyPrefix, retention, commandTimeout, idleTopicTtl, shardedPubSub,
                presenceTtl, publishTimeout, pingInterval, pingTimeout, bytes);
    }
}
