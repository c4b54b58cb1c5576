package dev.herald.admin;

import dev.herald.broker.Broker;
import dev.herald.hub.Hub;
import dev.herald.ops.BrokerAvailability;
import dev.herald.ops.Drain;
import dev.herald.ops.NodeIdentity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes this node's {@link NodeSample} every second from what the node already counts (its Micrometer
 * meters, the hub, the drain), for the admin page; {@link NodeDirectory} announces it to the cluster.
 * Costs a few meter look-ups per second whether or not anyone watches, so that the other nodes' admin
 * pages see this one.
 */
@ApplicationScoped
public class NodeSampler {

    static final long PERIOD_MILLIS = 1000;
    /** Topics listed per node: the page shows the busiest ten of the cluster. */
    static final int TOPICS = 10;
    private static final String[] TRANSPORTS = {"sse", "ws", "poll"};

    private final NodeIdentity node;
    private final Broker broker;
    private final BrokerAvailability availability;
    private final Drain drain;
    private final Hub hub;
    private final MeterRegistry registry;
    private final Vertx vertx;
    private final LatencyWindow latency = new LatencyWindow();
    private double deliveredBefore = -1;
    private double publishedBefore = -1;
    private long takenBefore;
    private volatile NodeSample latest;
    private long timer = -1;

    public NodeSampler(NodeIdentity node, Broker broker, BrokerAvailability availability, Drain drain, Hub hub,
                       MeterRegistry registry, Vertx vertx) {
        this.node = node;
        this.broker = broker;
        this.availability = availability;
        this.drain = drain;
        this.hub = hub;
        this.registry = registry;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        latest = sample();
        // On a worker, in order: listing the busiest topics is linear in the node's topics, which has no
        // place on an event loop, and one sample at a time keeps the rate and latency windows consistent.
        timer = vertx.setPeriodic(PERIOD_MILLIS, id -> vertx.executeBlocking(() -> {
            latest = sample();
            return null;
        }, true));
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** The last sample (taken at startup, then every second). */
    public NodeSample latest() {
        return latest;
    }

    private NodeSample sample() {
        long now = System.currentTimeMillis();
        double delivered = registry.find("herald.deliveries").counters().stream().mapToDouble(Counter::count).sum();
        Counter publishedCounter = registry.find("herald.events.published").counter();
        double published = publishedCounter == null ? 0 : publishedCounter.count();
        double seconds = takenBefore == 0 ? 0 : (now - takenBefore) / 1000.0;
        double deliveriesPerSecond = seconds > 0 && deliveredBefore >= 0 ? (delivered - deliveredBefore) / seconds : 0;
        double publishesPerSecond = seconds > 0 && publishedBefore >= 0 ? (published - publishedBefore) / seconds : 0;
        deliveredBefore = delivered;
        publishedBefore = published;
        takenBefore = now;
        Double[] quantiles = latency.quantiles(registry.find("herald.delivery.latency").timers());
        Map<String, Long> connections = new LinkedHashMap<>();
        for (String transport : TRANSPORTS) {
            connections.put(transport, gauge("herald.connections", transport));
        }
        List<NodeSample.TopicCount> topics = hub.subscriptionsByTopic().entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<dev.herald.event.Topic, Integer>comparingByValue().reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(TOPICS)
                .map(e -> new NodeSample.TopicCount(e.getKey().name(), e.getValue()))
                .toList();
        return new NodeSample(node.name(), node.instance(), node.version(), broker.name(), availability.available(),
                drain.shuttingDown(), now, connections, gauge("herald.subscriptions", null),
                gauge("herald.presence.members", null), deliveriesPerSecond, publishesPerSecond, quantiles[0],
                quantiles[1], topics);
    }

    private long gauge(String name, String transport) {
        var search = registry.find(name);
        Gauge gauge = (transport == null ? search : search.tag("transport", transport)).gauge();
        return gauge == null ? 0 : (long) gauge.value();
    }
}
