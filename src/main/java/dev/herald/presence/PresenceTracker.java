package dev.herald.presence;

import dev.herald.broker.Broker;
import dev.herald.broker.PresenceStore;
import dev.herald.config.HeraldConfig;
import dev.herald.event.Topic;
import dev.herald.event.TopicPattern;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.ops.NodeIdentity;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * This node's presence members (WebSocket subscriptions of authenticated users), kept alive in the
 * broker's {@link PresenceStore}: every third of {@code herald.presence.ttl} the node refreshes its
 * members of each topic, and sweeps the expired members of every topic it has members or presence
 * watchers in, so that the users of a node that died leave within the TTL plus a third.
 *
 * <p>The store's operations on one topic run one after the other, in the order they were asked for:
 * with a pool of Redis connections, a join and the leave right after it (a page reload) could
 * otherwise run the other way round and leave a member behind.
 */
@ApplicationScoped
public class PresenceTracker {

    private static final Logger LOG = Logger.getLogger(PresenceTracker.class);
    /** Topics refreshed at once, so that a node with many topics does not flood the Redis pool. */
    private static final int REFRESH_CONCURRENCY = 8;

    /** Names this node's members in the cluster-wide store (unique per process). */
    private final String nodeId;
    private final PresenceStore store;
    private final Vertx vertx;
    private final long periodMillis;
    private final List<TopicPattern> tracked;
    /** topic → member → user, for the topics this node has members in. */
    private final Map<Topic, Map<String, String>> local = new ConcurrentHashMap<>();
    /** topic → local subscriptions that asked for presence notices. */
    private final Map<Topic, Integer> watched = new ConcurrentHashMap<>();
    /** The last store operation asked for per topic; the next one starts after it. */
    private final Map<Topic, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    /**
     * Entries of {@link #local}. Bounded by the node's caps, not by a cap of its own: at most one per
     * WebSocket subscription to a tracked topic, so at most {@code herald.subscriber.max-connections}
     * times {@code herald.subscription.max-topics}, and {@code herald.ws.max-connections-per-user} times
     * that per user. The memory broker's store holds the same entries once more.
     */
    private final AtomicLong memberCount = new AtomicLong();
    private long timer = -1;

    public PresenceTracker(Broker broker, Vertx vertx, HeraldConfig config, NodeIdentity node, HeraldMetrics metrics) {
        this.nodeId = node.instance();
        this.store = broker.presence();
        this.vertx = vertx;
        this.periodMillis = Math.max(100, config.presence().ttl().toMillis() / 3);
        this.tracked = config.presence().topics().stream().map(TopicPattern::of).toList();
        metrics.presenceMembers(memberCount::get);
    }

    /** Whether the topic's presence is tracked ({@code herald.presence.topics}). */
    public boolean tracks(Topic topic) {
        return tracked.stream().anyMatch(p -> p.matches(topic));
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
        // compute, not computeIfAbsent then put: a leave emptying the topic meanwhile would drop the map.
        local.compute(topic, (t, ofTopic) -> {
            Map<String, String> members = ofTopic != null ? ofTopic : new ConcurrentHashMap<>();
            if (members.put(member, user) == null) {
                memberCount.incrementAndGet();
            }
            return members;
        });
        inOrder(topic, () -> store.join(topic, member, user), "join");
    }

    public void leave(Topic topic, String member) {
        local.computeIfPresent(topic, (t, ofTopic) -> {
            if (ofTopic.remove(member) != null) {
                memberCount.decrementAndGet();
            }
            return ofTopic.isEmpty() ? null : ofTopic;
        });
        inOrder(topic, () -> store.leave(topic, member), "leave");
    }

    /** A local subscription wants the topic's presence notices: this node sweeps the topic too. */
    public void watch(Topic topic) {
        watched.merge(topic, 1, Integer::sum);
    }

    public void unwatch(Topic topic) {
        watched.computeIfPresent(topic, (t, n) -> n <= 1 ? null : n - 1);
    }

    /** The topic's members cluster-wide: connections and distinct users. */
    public Uni<Snapshot> snapshot(Topic topic) {
        return store.members(topic).map(users -> new Snapshot(topic.name(), users.size(),
                users.stream().distinct().sorted().toList()));
    }

    public record Snapshot(String topic, int connections, List<String> users) {
    }

    /** Runs {@code operation} after the topic's previous one; returns when it is done (failures logged). */
    private CompletableFuture<Void> inOrder(Topic topic, Supplier<Uni<Void>> operation, String what) {
        CompletableFuture<Void> next = new CompletableFuture<>();
        CompletableFuture<Void> previous = tails.put(topic, next);
        Runnable run = () -> operation.get().subscribe().with(ok -> next.complete(null), failure -> {
            LOG.debugf("presence %s on %s failed (members expire; the next refresh repairs): %s", what, topic, failure);
            next.complete(null);
        });
        if (previous == null) {
            run.run();
        } else {
            previous.whenComplete((r, e) -> run.run());
        }
        next.whenComplete((r, e) -> tails.remove(topic, next));
        return next;
    }

    private void refresh() {
        if (!refreshing.compareAndSet(false, true)) {
            return; // the previous round is still running (a slow Redis): skip this one
        }
        Set<Topic> topics = new HashSet<>(local.keySet());
        topics.addAll(watched.keySet());
        Multi.createFrom().iterable(topics)
                .onItem().transformToUni(topic -> Uni.createFrom().completionStage(() -> inOrder(topic, () -> {
                    // The members as they are when the refresh runs, after any join or leave asked before it.
                    Map<String, String> members = new HashMap<>(local.getOrDefault(topic, Map.of()));
                    return store.refresh(topic, members);
                }, "refresh")))
                .merge(REFRESH_CONCURRENCY)
                .collect().last()
                .subscribe().with(done -> refreshing.set(false), failure -> refreshing.set(false));
    }
}
