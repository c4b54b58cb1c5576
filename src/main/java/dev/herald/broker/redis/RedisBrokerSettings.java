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
 */
public record RedisBrokerSettings(String keyPrefix, Retention retention, Duration commandTimeout,
                                  Duration idleTopicTtl, boolean shardedPubSub) {
}
