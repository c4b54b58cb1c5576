package dev.herald.broker.redis;

import dev.herald.broker.PresenceStore;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Presence in Redis, per topic: a hash of members ({@code <prefix>{topic}:p}, member → expiry|user)
 * and a hash of users ({@code <prefix>{topic}:u}, user → members), changed by one Lua script that also
 * announces joins and leaves on the topic's live channel. Both keys carry the topic's hash tag.
 */
final class RedisPresence implements PresenceStore {

    private static final RedisScript PRESENCE = RedisScript.load("presence.lua");

    private final RedisBroker broker;
    private final RedisKeys keys;
    private final boolean sharded;
    private final String ttlMillis;

    RedisPresence(RedisBroker broker, RedisKeys keys, boolean sharded, Duration ttl) {
        this.broker = broker;
        this.keys = keys;
        this.sharded = sharded;
        this.ttlMillis = String.valueOf(ttl.toMillis());
    }

    @Override
    public Uni<Void> join(Topic topic, String member, String user) {
        return run(topic, withMembers(args(topic, "join"), Map.of(member, user))).replaceWithVoid();
    }

    @Override
    public Uni<Void> refresh(Topic topic, Map<String, String> members) {
        // One script call: extend this node's members, and sweep the topic's expired ones.
        return run(topic, withMembers(args(topic, "refresh"), members)).replaceWithVoid();
    }

    private static List<String> withMembers(List<String> args, Map<String, String> members) {
        members.forEach((member, user) -> {
            args.add(member);
            args.add(user);
        });
        return args;
    }

    @Override
    public Uni<Void> leave(Topic topic, String member) {
        List<String> args = args(topic, "leave");
        args.add(member);
        return run(topic, args).replaceWithVoid();
    }

    @Override
    public Uni<List<String>> members(Topic topic) {
        return run(topic, args(topic, "members")).map(r -> {
            List<String> users = new ArrayList<>(r == null ? 0 : r.size());
            if (r != null) {
                for (Response user : r) {
                    users.add(user.toString());
                }
            }
            return users;
        });
    }

    private List<String> args(Topic topic, String op) {
        List<String> args = new ArrayList<>();
        args.add(op);
        args.add(keys.channel(topic));
        args.add(sharded ? "SPUBLISH" : "PUBLISH");
        args.add(ttlMillis);
        return args;
    }

    private Uni<Response> run(Topic topic, List<String> args) {
        return broker.script(PRESENCE, List.of(keys.presenceMembers(topic), keys.presenceUsers(topic)), args);
    }
}
