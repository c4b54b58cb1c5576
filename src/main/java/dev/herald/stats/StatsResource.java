package dev.herald.stats;

import dev.herald.ops.HealthChecks;
import dev.herald.ops.Drain;
import dev.herald.ops.NodeIdentity;
import dev.herald.broker.Broker;
import dev.herald.config.HeraldConfig;
import dev.herald.hub.Hub;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ImageMode;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /v1/stats}: what this node is and carries, for people and scripts (Prometheus has the same
 * counts at {@code /q/metrics}). Like the health endpoints it needs no token and names no topic or user.
 */
@Path("/v1/stats")
public class StatsResource {

    @RegisterForReflection
    public record Stats(String node, String instance, String version, String runtime, Instant started,
                        long uptimeSeconds, String broker, boolean brokerAvailable, boolean draining,
                        Map<String, Long> connections, long maxConnections, long subscriptions, int brokerTopics,
                        Map<String, Long> jobs) {
    }

    /** This node's job counters since it started (herald_jobs_* at /q/metrics). */
    private static final String[] JOB_COUNTERS = {"enqueued", "leased", "redelivered", "succeeded", "failed", "dead"};

    private static final String[] TRANSPORTS = {"sse", "ws", "poll"};

    private final NodeIdentity node;
    private final Broker broker;
    private final Hub hub;
    private final Drain drain;
    private final MeterRegistry registry;
    private final HeraldConfig config;
    private final HealthChecks health;

    public StatsResource(NodeIdentity node, Broker broker, Hub hub, Drain drain, MeterRegistry registry,
                         HeraldConfig config, HealthChecks health) {
        this.health = health;
        this.node = node;
        this.broker = broker;
        this.hub = hub;
        this.drain = drain;
        this.registry = registry;
        this.config = config;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Stats> stats() {
        return health.brokerAvailable().map(this::snapshot);
    }

    private Stats snapshot(boolean brokerAvailable) {
        Map<String, Long> connections = new LinkedHashMap<>();
        for (String transport : TRANSPORTS) {
            Gauge gauge = registry.find("herald.connections").tag("transport", transport).gauge();
            connections.put(transport, gauge == null ? 0L : (long) gauge.value());
        }
        Gauge subscriptions = registry.find("herald.subscriptions").gauge();
        Map<String, Long> jobs = new LinkedHashMap<>();
        for (String counter : JOB_COUNTERS) {
            Counter c = registry.find("herald.jobs." + counter).counter();
            jobs.put(counter, c == null ? 0L : (long) c.count());
        }
        Instant now = Instant.now();
        return new Stats(node.name(), node.instance(), node.version(), runtime(), node.started(),
                Duration.between(node.started(), now).toSeconds(), broker.name(), brokerAvailable,
                drain.shuttingDown(), connections, config.subscriber().maxConnections(),
                subscriptions == null ? 0L : (long) subscriptions.value(), hub.subscriptionsByTopic().size(), jobs);
    }

    private static String runtime() {
        String java = "Java " + Runtime.version().feature();
        return ImageMode.current() == ImageMode.NATIVE_RUN ? "native (" + java + ")" : java;
    }
}
