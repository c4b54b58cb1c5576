package dev.herald.broker.redis;

import dev.herald.event.Topic;

/**
 * Where a topic lives in Redis. Every key and the channel of a topic carry the hash tag
 * {@code {topic}}, so they map to one cluster slot (topic names cannot contain braces):
 * <ul>
 *   <li>{@code <prefix>{<topic>}:s} the stream (history)</li>
 *   <li>{@code <prefix>{<topic>}:m} a hash: {@code h} head id, {@code f} floor id (newest trimmed)</li>
 *   <li>{@code <prefix>{<topic>}:i:<key>} an idempotency key, holding the original id</li>
 *   <li>{@code <prefix>{<topic>}:c} the live channel (events, and presence notices)</li>
 *   <li>{@code <prefix>probe} a channel never subscribed to (the pub/sub liveness probe)</li>
 *   <li>{@code <prefix>{<topic>}:p} presence members, {@code <prefix>{<topic>}:u} their users</li>
 * </ul>
 * The job store's {@code lifecycle.lua} builds a job topic's stream, meta and channel keys the same way
 * from {@link RedisBroker#appendOptions}'s prefix (it learns job ids only inside its scripts).
 */
final class RedisKeys {

    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    String stream(Topic topic) {
        return prefix + "{" + topic.name() + "}:s";
    }

    String meta(Topic topic) {
        return prefix + "{" + topic.name() + "}:m";
    }

    String idempotency(Topic topic, String key) {
        return prefix + "{" + topic.name() + "}:i:" + key;
    }

    String channel(Topic topic) {
        return prefix + "{" + topic.name() + "}:c";
    }

    String presenceMembers(Topic topic) {
        return prefix + "{" + topic.name() + "}:p";
    }

    String presenceUsers(Topic topic) {
        return prefix + "{" + topic.name() + "}:u";
    }

    /** A channel nobody subscribes to: the pub/sub connection's liveness probe unsubscribes from it. */
    String probeChannel() {
        return prefix + "probe";
    }

    /** The topic of one of our channels, or null for anything else. */
    Topic topicOf(String channel) {
        if (!channel.startsWith(prefix + "{") || !channel.endsWith("}:c")) {
            return null;
        }
        String name = channel.substring(prefix.length() + 1, channel.length() - 3);
        return Topic.isValid(name) ? Topic.of(name) : null;
    }
}
