package dev.herald.broker.memory;

import dev.herald.broker.BrokerListener;
import dev.herald.broker.PresenceStore;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Presence on one node. Members never expire here (a member leaves when its connection closes, and
 * the node's death takes every member with it), so refresh and sweep have nothing to do.
 */
final class MemoryPresence implements PresenceStore {

    private static final class TopicMembers {
        final Map<String, String> userOf = new HashMap<>();
        final Map<String, Integer> connectionsOf = new HashMap<>();
    }

    private final Supplier<BrokerListener> listener;
    /** Guarded by this. */
    private final Map<Topic, TopicMembers> topics = new HashMap<>();

    MemoryPresence(Supplier<BrokerListener> listener) {
        this.listener = listener;
    }

    @Override
    public Uni<Void> join(Topic topic, String member, String user) {
        return Uni.createFrom().item(() -> {
            // Announced under the lock, so that watchers see a user's joins and leaves in their order
            // (the listener does not block: it queues notices).
            synchronized (this) {
                TopicMembers t = topics.computeIfAbsent(topic, k -> new TopicMembers());
                if (t.userOf.putIfAbsent(member, user) == null && t.connectionsOf.merge(user, 1, Integer::sum) == 1) {
                    announce(topic, "herald.join", user);
                }
            }
            return null;
        });
    }

    @Override
    public Uni<Void> leave(Topic topic, String member) {
        return Uni.createFrom().item(() -> {
            synchronized (this) {
                TopicMembers t = topics.get(topic);
                String user = t == null ? null : t.userOf.remove(member);
                if (user != null) {
                    if (t.connectionsOf.merge(user, -1, (a, b) -> a + b == 0 ? null : a + b) == null) {
                        announce(topic, "herald.leave", user);
                    }
                    if (t.userOf.isEmpty()) {
                        topics.remove(topic);
                    }
                }
            }
            return null;
        });
    }

    private void announce(Topic topic, String type, String user) {
        BrokerListener l = listener.get();
        if (l != null) {
            l.onPresence(topic, type, PresenceStore.userJson(user));
        }
    }

    @Override
    public Uni<Void> refresh(Topic topic, Map<String, String> ofNode) {
        return Uni.createFrom().voidItem();
    }

    @Override
    public Uni<List<String>> members(Topic topic) {
        return Uni.createFrom().item(() -> {
            synchronized (this) {
                TopicMembers t = topics.get(topic);
                return t == null ? List.<String>of() : new ArrayList<>(t.userOf.values());
            }
        });
    }
}
