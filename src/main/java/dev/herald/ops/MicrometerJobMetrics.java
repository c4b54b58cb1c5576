package dev.herald.ops;

import dev.herald.jobs.JobMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/** The job counters and the lease-to-ack timer in Micrometer ({@code herald_jobs_*}). */
@ApplicationScoped
public class MicrometerJobMetrics implements JobMetrics {

    private final Counter enqueued;
    private final Counter leased;
    private final Counter redelivered;
    private final Counter succeeded;
    private final Counter failed;
    private final Counter dead;
    private final Counter stale;
    private final Timer leaseToAck;

    public MicrometerJobMetrics(MeterRegistry registry) {
        enqueued = counter(registry, "herald.jobs.enqueued", "Jobs stored (duplicates not counted)");
        leased = counter(registry, "herald.jobs.leased", "Jobs handed to workers (redeliveries included)");
        redelivered = counter(registry, "herald.jobs.redelivered", "Jobs leased again after their lease expired");
        succeeded = counter(registry, "herald.jobs.succeeded", "Jobs acknowledged");
        failed = counter(registry, "herald.jobs.failed", "Failed attempts that will be retried");
        dead = counter(registry, "herald.jobs.dead", "Jobs moved to the dead list");
        stale = counter(registry, "herald.jobs.stale.leases", "Reports refused because their lease was not current");
        leaseToAck = Timer.builder("herald.jobs.lease.to.ack").description("From a job's lease to its acknowledgement")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(1)).register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    @Override
    public void enqueued() {
        enqueued.increment();
    }

    @Override
    public void leased(int jobs) {
        leased.increment(jobs);
    }

    @Override
    public void redelivered(int jobs) {
        redelivered.increment(jobs);
    }

    @Override
    public void succeeded(long millis) {
        succeeded.increment();
        leaseToAck.record(Duration.ofMillis(millis));
    }

    @Override
    public void failed() {
        failed.increment();
    }

    @Override
    public void dead() {
        dead.increment();
    }

    @Override
    public void staleLease() {
        stale.increment();
    }
}
