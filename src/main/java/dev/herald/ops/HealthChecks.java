package dev.herald.ops;

import dev.herald.broker.Broker;
import dev.herald.jobs.JobStore;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * Kubernetes probes: liveness reflects the process only; readiness the broker, the job store (which on
 * NATS first creates its stream and buckets) and shutdown.
 */
@ApplicationScoped
public class HealthChecks {

    private static final Duration WITHIN = Duration.ofSeconds(2);

    private final Broker broker;
    private final JobStore jobs;
    private final Drain drain;

    public HealthChecks(Broker broker, JobStore jobs, Drain drain) {
        this.broker = broker;
        this.jobs = jobs;
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
            // The job store is asked only when the broker answers: with the broker down, "jobs" is left out
            // rather than reported false without having been asked.
            return brokerAvailable().chain(up -> up
                    ? jobsReady().map(jobsUp -> HealthCheckResponse.named("herald-broker").status(jobsUp)
                            .withData("broker", broker.name()).withData("jobs", jobsUp).build())
                    : Uni.createFrom().item(HealthCheckResponse.named("herald-broker").down()
                            .withData("broker", broker.name()).build()));
        };
    }

    /** Whether the job store is ready within 2 seconds; what it creates meanwhile goes on after a timeout. */
    private Uni<Boolean> jobsReady() {
        return within(jobs.ready());
    }

    /** Whether the broker answers within 2 seconds (false on failure or silence): readiness and /v1/stats. */
    public Uni<Boolean> brokerAvailable() {
        return within(broker.isAvailable());
    }

    /** The check's answer if it comes within 2 seconds, else (or on failure) false. */
    private static Uni<Boolean> within(Uni<Boolean> check) {
        return check.ifNoItem().after(WITHIN).recoverWithItem(false).onFailure().recoverWithItem(false);
    }
}
