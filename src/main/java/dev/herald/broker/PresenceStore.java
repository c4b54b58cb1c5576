package dev.herald.broker;

import dev.herald.event.Json;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Map;

/**
 * Who is in a topic, cluster-wide: the broker's optional presence ability.
 *
 * <p>A <em>member</em> is one connection's subscription to a topic, named by a string unique in the
 * cluster (node id + connection id), on behalf of a user. A user <em>joins</em> a topic when the
 * first of their members arrives (on any node) and <em>leaves</em> when the last one goes; each
 * join and leave reaches the {@link BrokerListener#onPresence} of every node subscribed to the topic.
 *
 * <p>Members expire: a node refreshes its members every {@code ttl / 3}; a member not refreshed
 * within the TTL (its node died without saying goodbye) is removed by the next {@link #refresh} of
 * the topic on any node, which announces the leave. So a dead node's users leave within TTL + the
 * refresh interval.
 *
 * <p>Presence is best effort: join/leave notices are not stored, and one can be missed while a
 * node's live connection is down; {@link #members} is the authority.
 */
public interface PresenceStore {

    /** Adds (or refreshes) a member. */
    Uni<Void> join(Topic topic, String member, String user);

    /** Removes a member; a no-op when it is not there. */
    Uni<Void> leave(Topic topic, String member);

    /**
     * Extends the expiry of this node's members of a topic (member → user; re-adds any that were
     * removed), and removes the topic's expired members, announcing the users who thereby leave.
     * {@code members} may be empty (a node that only watches the topic's presence).
     */
    Uni<Void> refresh(Topic topic, Map<String, String> members);

    /** The users of the topic's live members, one entry per member (a user with two connections twice). */
    Uni<List<String>> members(Topic topic);

    /** The data of a join or leave notice: {@code {"user":"<user>"}}. */
    static String userJson(String user) {
        return "{\"user\":" + Json.quote(user) + "}";
    }
}
