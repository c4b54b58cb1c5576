package dev.herald.presence;

import dev.herald.broker.Broker;
import dev.herald.broker.PresenceStore;
import dev.herald.config.HeraldConfig;
import dev.herald.event.Topic;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * This node's presence members (WebSocket subscriptions of authenticated users), kept alive in the
 * broker's {@link PresenceStore}: every third of {@code herald.presence.ttl} the node refreshes its
 * members of each topic and sweeps the topic's expired members, so that the users of a node that died
 * leave within the TTL plus a third.
 */
@ApplicationScoped
public class PresenceTracker {

    private static final Logger LOG = Logger.getLogger(PresenceTracker.class);

    /** Names this node's members in the cluster-wide store. */
    private final String nodeId = UUID.randomUUID().toString().substring(0, 13);
    private final PresenceStore store;
    private final Vertx vertx;
    private final long periodMillis;
    /** topic → member → user, for the topics this node has members in. */
    private final Map<Topic, Map<String, String>> local = new ConcurrentHashMap<>();
    private long timer = -1;

    public PresenceTracker(Broker broker, Vertx vertx, HeraldConfig config) {
        this.store = broker.presence();
        this.vertx = vertx;
        this.periodMillis = Math.max(100, config.presence().ttl().toMillis() / 3);
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(periodMillis, id -> refresh());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** A member name for one connection, unique in the cluster. */
    public String member(String connectionId) {
        return nodeId + ":" + connectionId;
    }

    public void join(Topic topic, String member, String user) {
        local.computeIfAbsent(topic, t -> new ConcurrentHashMap<>()).put(member, user);
        store.join(topic, member, user).subscribe().with(ok -> { },
                failure -> LOG.debugf("presence join on %s failed (the next refresh retries): %s", topic, failure));
    }

    public void leave(Topic topic, String member) {
        local.computeIfPresent(topic, (t, members) -> {
            members.remove(member);
            return members.isEmpty() ? null : members;
        });
        store.leave(topic, member).subscribe().with(ok -> { },
                failure -> LOG.debugf("presence leave on %s failed (the member expires): %s", topic, failure));
    }

    /** The topic's members cluster-wide: connections and distinct users. */
    public io.smallrye.mutiny.Uni<Snapshot> snapshot(Topic topic) {
        return store.members(topic).map(users -> new Snapshot(topic.name(), users.size(),
                users.stream().distinct().sorted().toList()));
    }

    public record Snapshot(String topic, int connections, List<String> users) {
    }

    private void refresh() {
        for (Map.Entry<Topic, Map<String, String>> e : local.entrySet()) {
            Topic topic = e.getKey();
            Map<String, String> members = new HashMap<>(e.getValue());
            store.refresh(topic, members).chain(() -> store.sweep(topic)).subscribe().with(ok -> { },
                    failure -> LOG.debugf("presence refresh of %s failed: %s", topic, failure));
        }
    }
}
