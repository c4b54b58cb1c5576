package dev.herald.ops;

import dev.herald.broker.Broker;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/** Kubernetes probes: liveness reflects the process only; readiness the broker and shutdown. */
@ApplicationScoped
public class HealthChecks {

    private final Broker broker;
    private final Drain drain;

    public HealthChecks(Broker broker, Drain drain) {
        this.broker = broker;
        this.drain = drain;
    }

    @Produces
    @Liveness
    AsyncHealthCheck alive() {
        return () -> Uni.createFrom().item(HealthCheckResponse.up("herald"));
    }

    @Produces
    @Startup
    AsyncHealthCheck started() {
        return () -> Uni.createFrom().item(HealthCheckResponse.up("herald-started"));
    }

    @Produces
    @Readiness
    AsyncHealthCheck ready() {
        return () -> {
            if (drain.shuttingDown()) {
                return Uni.createFrom().item(HealthCheckResponse.named("herald-broker").down()
                        .withData("shutting-down", true).build());
            }
            return brokerAvailable()
                    .map(up -> HealthCheckResponse.named("herald-broker").status(up)
                            .withData("broker", broker.name()).build());
        };
    }

    /** Whether the broker answers within 2 seconds (false on failure or silence): readiness and /v1/stats. */
    public Uni<Boolean> brokerAvailable() {
        return broker.isAvailable()
                .ifNoItem().after(Duration.ofSeconds(2)).recoverWithItem(false)
                .onFailure().recoverWithItem(false);
    }
}
