package dev.herald.ops;

import dev.herald.broker.Broker;
import dev.herald.metrics.HeraldMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Whether the broker is available, checked every {@link #PERIOD_MILLIS} the way readiness checks it and
 * kept for readers that must not wait: the {@code herald_broker_available} gauge (read on scrape) and
 * the admin page. Readiness itself asks the broker afresh on every probe.
 */
@ApplicationScoped
public class BrokerAvailability {

    /** As often as the Kubernetes readiness probe of deploy/k8s asks, so the gauge lags it by one period at most. */
    static final long PERIOD_MILLIS = 5_000;

    private final Broker broker;
    private final HealthChecks health;
    private final HeraldMetrics metrics;
    private final Vertx vertx;
    private volatile boolean available;
    private long timer = -1;

    public BrokerAvailability(Broker broker, HealthChecks health, HeraldMetrics metrics, Vertx vertx) {
        this.broker = broker;
        this.health = health;
        this.metrics = metrics;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        metrics.brokerAvailability(broker.name(), this::available);
        check();
        timer = vertx.setPeriodic(PERIOD_MILLIS, id -> check());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void check() {
        health.brokerAvailable().subscribe().with(up -> available = up);
    }

    /** The last answer (false until the first one). */
    public boolean available() {
        return available;
    }
}
