package dev.herald.broker.redis;

import dev.herald.broker.Retention;
import java.time.Duration;

/**
 * How a {@link RedisBroker} uses Redis.
 *
 * @param keyPrefix      prefix of every key and channel (several Herald deployments can share a Redis)
 * @param retention      history per topic and idempotency window
 * @param commandTimeout a command not answered within this fails (publish answers 503)
 * @param idleTopicTtl   a topic's keys expire after this long without a publish
 * @param shardedPubSub  use SPUBLISH/SSUBSCRIBE (Redis 7 cluster) instead of PUBLISH/SUBSCRIBE
 * @param presenceTtl    a presence member not refreshed within this has left (its node died)
 */
public record RedisBrokerSettings(String keyPrefix, Retention retention, Duration commandTimeout,
                                  Duration idleTopicTtl, boolean shardedPubSub, Duration presenceTtl) {

    public static final Duration DEFAULT_PRESENCE_TTL = Duration.ofSeconds(30);

    public RedisBrokerSettings(String keyPrefix, Retention retention, Duration commandTimeout,
                               Duration idleTopicTtl, boolean shardedPubSub) {
        this(keyPrefix, retention, commandTimeout, idleTopicTtl, shardedPubSub, DEFAULT_PRESENCE_TTL);
    }
}
