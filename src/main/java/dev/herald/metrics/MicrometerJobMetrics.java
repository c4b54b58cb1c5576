package dev.herald.metrics;

import dev.herald.jobs.JobMetrics;
import dev.herald.jobs.QueueCounts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The job counters, the lease-to-ack timer and the gauges of chosen queues in Micrometer
 * ({@code herald_jobs_*}).
 */
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
    private final MeterRegistry registry;
    /** Per gauged queue: queued, delayed + failed, active, dead, oldest waiting ms. */
    private final Map<String, long[]> queues = new ConcurrentHashMap<>();

    public MicrometerJobMetrics(MeterRegistry registry) {
        this.registry = registry;
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

    @Override
    public void queueObserved(QueueCounts counts) {
        long[] values = queues.computeIfAbsent(counts.queue().name(), this::register);
        values[0] = counts.queued();
        values[1] = counts.delayed() + counts.failed();
        values[2] = counts.active();
        values[3] = counts.dead();
        values[4] = counts.oldestWaitingMillis();
    }

    private long[] register(String queue) {
        long[] values = new long[5];
        gauge("herald.jobs.queue.waiting", queue, "Jobs queued, waiting for a worker", () -> values[0]);
        gauge("herald.jobs.queue.scheduled", queue, "Jobs delayed or waiting to be retried", () -> values[1]);
        gauge("herald.jobs.queue.active", queue, "Jobs leased by workers", () -> values[2]);
        gauge("herald.jobs.queue.dead", queue, "Jobs in the dead list", () -> values[3]);
        gauge("herald.jobs.queue.oldest.waiting.seconds", queue, "Age of the oldest queued job",
                () -> values[4] / 1000.0);
        return values;
    }

    private void gauge(String name, String queue, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).tag("queue", queue).strongReference(true)
                .register(registry);
    }
}
