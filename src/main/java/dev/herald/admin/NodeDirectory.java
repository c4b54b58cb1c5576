package dev.herald.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.broker.Broker;
import dev.herald.broker.PresenceStore;
import dev.herald.event.Topic;
import dev.herald.hub.Shared;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The nodes of the cluster as the broker sees them, for the admin page: every node announces its latest
 * {@link NodeSample} every {@link #ANNOUNCE_MILLIS} as a presence member of the topic {@link #TOPIC}
 * (the broker's existing presence ability: members expire after {@code herald.presence.ttl} when their
 * node dies, and Redis shares them between nodes; the memory broker knows this node only). Each
 * announcement is a new member (the previous one leaves), because a member's data cannot change.
 *
 * <p>Any client allowed to subscribe to {@code herald.nodes} over WebSocket could add a member of its
 * own (its subject as user); such entries are not samples and are ignored. Grant nobody that topic if
 * the node names and counts are private.
 */
@ApplicationScoped
public class NodeDirectory {

    private static final Logger LOG = Logger.getLogger(NodeDirectory.class);
    static final Topic TOPIC = Topic.of("herald.nodes");
    static final long ANNOUNCE_MILLIS = 2000;
    /** Every this many announcements, expired members (of nodes that died) are swept from the store. */
    static final int SWEEP_EVERY = 15;
    /** Reads of the directory within this long share one answer (several admin pages, one read per second). */
    static final long READ_MILLIS = 900;

    private final PresenceStore presence;
    private final NodeSampler sampler;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    private final AtomicBoolean announcing = new AtomicBoolean();
    private volatile String member;
    private long announcements;
    private long timer = -1;
    private volatile Uni<List<NodeSample>> read;
    private volatile long readAt;

    public NodeDirectory(Broker broker, NodeSampler sampler, ObjectMapper mapper, Vertx vertx) {
        this.presence = broker.presence();
        this.sampler = sampler;
        this.mapper = mapper;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(ANNOUNCE_MILLIS, id -> announce());
        announce();
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        String last = member;
        if (last != null) {
            try {
                presence.leave(TOPIC, last).await().atMost(Duration.ofSeconds(1));
            } catch (RuntimeException e) {
                LOG.debugf("could not withdraw this node from %s: %s", TOPIC, e.getMessage());
            }
        }
    }

    private void announce() {
        if (!announcing.compareAndSet(false, true)) {
            return; // the last one is still on its way (the broker is slow): skip a beat
        }
        NodeSample sample = sampler.latest();
        String data;
        try {
            data = mapper.writeValueAsString(sample);
        } catch (JsonProcessingException e) {
            announcing.set(false);
            throw new IllegalStateException(e);
        }
        String previous = member;
        String next = sample.instance() + ":" + (++announcements);
        boolean sweep = announcements % SWEEP_EVERY == 0;
        presence.join(TOPIC, next, data)
                .invoke(() -> member = next)
                .chain(() -> previous == null ? Uni.createFrom().voidItem() : presence.leave(TOPIC, previous))
                .chain(() -> sweep ? presence.refresh(TOPIC, Map.of()) : Uni.createFrom().voidItem())
                .eventually(() -> announcing.set(false))
                .subscribe().with(ok -> { }, failure -> LOG.debugf("announcing this node failed: %s", failure.getMessage()));
    }

    /**
     * The nodes the broker knows, by name, with their latest samples; this node's is the freshest one
     * the sampler has. Fails when the broker does.
     */
    public Uni<List<NodeSample>> nodes() {
        long now = System.currentTimeMillis();
        Uni<List<NodeSample>> shared = read;
        if (shared == null || now - readAt > READ_MILLIS) {
            shared = Shared.of(presence.members(TOPIC).map(this::parse)).uni();
            read = shared;
            readAt = now;
        }
        return shared;
    }

    private List<NodeSample> parse(List<String> members) {
        NodeSample self = sampler.latest();
        Map<String, NodeSample> byInstance = new HashMap<>();
        byInstance.put(self.instance(), self);
        for (String data : members) {
            NodeSample sample;
            try {
                sample = mapper.readValue(data, NodeSample.class);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                continue; // not an announcement: a client's own member of the topic
            }
            if (sample.instance() != null && sample.node() != null && sample.connections() != null) {
                byInstance.merge(sample.instance(), sample, (a, b) -> a.at() >= b.at() ? a : b);
            }
        }
        List<NodeSample> nodes = new ArrayList<>(byInstance.values());
        nodes.sort(Comparator.comparing(NodeSample::node).thenComparing(NodeSample::instance));
        return nodes;
    }
}
