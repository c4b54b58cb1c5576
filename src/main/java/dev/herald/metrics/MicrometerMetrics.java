package dev.herald.metrics;

import dev.herald.broker.BrokerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@link HeraldMetrics} on Micrometer, exported by Prometheus at {@code /q/metrics}. Created at startup
 * so every meter is exported (at zero) before the first event.
 */
@Singleton
@Startup
public class MicrometerMetrics implements HeraldMetrics, BrokerMetrics {

    private static final String HTTP_REFUSED_HELP =
            "HTTP requests refused for how they were sent (slow, oversized or ambiguous bodies, smuggling)";
    private static final String OUTCOME_UNKNOWN_HELP =
            "Publishes sent to the broker and not answered in time (answered 504: may or may not be stored)";
    private static final String AUTH_FAILURES_HELP = "Requests refused by authentication or authorization";

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> connections = new ConcurrentHashMap<>();
    private final AtomicLong subscriptions = new AtomicLong();
    private final Counter published;
    private final Counter duplicates;
    private final Counter replayed;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> latency = new ConcurrentHashMap<>();
    private final Map<String, DeliveryMeter> deliveries = new ConcurrentHashMap<>();

    public MicrometerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.published = Counter.builder("herald.events.published").description("Events stored by publishes")
                .register(registry);
        this.duplicates = Counter.builder("herald.events.duplicates")
                .description("Publishes answered from the idempotency window, storing nothing").register(registry);
        this.replayed = Counter.builder("herald.events.replayed")
                .description("Events replayed from history to resuming subscribers").register(registry);
        registry.gauge("herald.subscriptions", subscriptions);
        for (String transport : new String[] {"sse", "poll"}) {
            connectionsOf(transport);
        }
    }

    private AtomicLong connectionsOf(String transport) {
        return connections.computeIfAbsent(transport, t -> {
            AtomicLong gauge = new AtomicLong();
            io.micrometer.core.instrument.Gauge.builder("herald.connections", gauge, AtomicLong::get)
                    .description("Open subscriber connections").tag("transport", t).register(registry);
            return gauge;
        });
    }

    private Counter counter(String name, String tagKey, String tagValue, String description) {
        return counters.computeIfAbsent(name + '\u0000' + tagValue,
                k -> Counter.builder(name).description(description).tag(tagKey, tagValue).register(registry));
    }

    /** A counter with two tags, registered on first use. */
    private Counter counter(String name, String tag1, String value1, String tag2, String value2, String description) {
        return counters.computeIfAbsent(name + '\u0000' + value1 + '\u0000' + value2,
                k -> Counter.builder(name).description(description).tag(tag1, value1).tag(tag2, value2)
                        .register(registry));
    }

    @Override
    public void connectionOpened(String transport) {
        connectionsOf(transport).incrementAndGet();
    }

    @Override
    public void connectionClosed(String transport) {
        connectionsOf(transport).decrementAndGet();
    }

    @Override
    public void subscriptionsAdded(int topics) {
        subscriptions.addAndGet(topics);
    }

    @Override
    public void subscriptionsRemoved(int topics) {
        subscriptions.addAndGet(-topics);
    }

    @Override
    public void eventPublished(boolean duplicate) {
        (duplicate ? duplicates : published).increment();
    }

    @Override
    public DeliveryMeter deliveries(String transport) {
        return deliveries.computeIfAbsent(transport, t -> new Deliveries(
                Counter.builder("herald.deliveries").description("Events written to subscriber connections")
                        .tag("transport", t).register(registry),
                Timer.builder("herald.delivery.latency")
                        .description("From publish (event ts) to the write on a subscriber connection")
                        .tag("transport", t)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30))
                        .register(registry)));
    }

    private record Deliveries(Counter count, Timer latency) implements DeliveryMeter {
        @Override
        public void delivered(int events) {
            count.increment(events);
        }

        @Override
        public void latency(long millis) {
            latency.record(millis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void slowConsumerDropped(String transport) {
        counter("herald.slow.consumer.disconnects", "transport", transport,
                "Connections dropped because their outbound queue was full").increment();
    }

    @Override
    public void eventsReplayed(int count) {
        replayed.increment(count);
    }

    @Override
    public void resetSent(String reason) {
        counter("herald.resets", "reason", reason, "herald.reset events sent to subscribers").increment();
    }

    @Override
    public void authFailed(String reason) {
        counter("herald.auth.failures", "reason", reason, AUTH_FAILURES_HELP).increment();
    }

    @Override
    public void requestRefused(String reason) {
        counter("herald.http.refused", "reason", reason, HTTP_REFUSED_HELP).increment();
    }

    @Override
    public void refused(String transport, String reason) {
        counter("herald.connections.refused", "transport", transport, "reason", reason,
                "Connections and polls refused because the node was at a cap").increment();
    }

    @Override
    public void presenceMembers(LongSupplier members) {
        io.micrometer.core.instrument.Gauge.builder("herald.presence.members", members, m -> (double) m.getAsLong())
                .description("Presence members on this node: one per WebSocket subscription to a tracked topic")
                .strongReference(true).register(registry);
    }

    @Override
    public void brokerReconnected(String broker) {
        counter("herald.broker.reconnects", "broker", broker, "Broker connections re-established").increment();
    }

    @Override
    public void gapFilled(String broker, int events) {
        counter("herald.broker.gap.fills", "broker", broker, "Events recovered from history after a reconnect")
                .increment(events);
    }

    @Override
    public void historyEvicted(String broker, String reason, int events) {
        counter("herald.history.evictions", "broker", broker, "reason", reason,
                "Events dropped from history by a byte bound (per topic or per node)").increment(events);
    }

    @Override
    public void idempotencyKeysEvicted(String broker, int keys) {
        counter("herald.idempotency.evictions", "broker", broker,
                "Idempotency keys forgotten before their window ended: the node's budget for keys was full")
                .increment(keys);
    }

    @Override
    public void heldInMemory(String broker, String what, LongSupplier bytes, long maxBytes) {
        // A strong reference: Micrometer holds a gauge's state object weakly by default.
        io.micrometer.core.instrument.Gauge.builder("herald." + what + ".bytes", bytes, b -> (double) b.getAsLong())
                .description("Bytes of " + what + " the broker holds in this node's memory (estimated heap)")
                .tag("broker", broker).baseUnit("bytes").strongReference(true).register(registry);
        io.micrometer.core.instrument.Gauge.builder("herald." + what + ".max.bytes", () -> maxBytes)
                .description("The bound on herald_" + what + "_bytes")
                .tag("broker", broker).baseUnit("bytes").register(registry);
    }

    @Override
    public void publishOutcomeUnknown(String broker) {
        counter("herald.publish.outcome.unknown", "broker", broker, OUTCOME_UNKNOWN_HELP).increment();
    }

    @Override
    public void brokerCommand(String broker, String command, long nanos) {
        latency.computeIfAbsent(broker + '\u0000' + command, k -> Timer.builder("herald.broker.command.latency")
                        .description("Latency of commands to the broker backend")
                        .tag("broker", broker).tag("command", command)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofNanos(100_000))
                        .maximumExpectedValue(Duration.ofSeconds(5))
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
