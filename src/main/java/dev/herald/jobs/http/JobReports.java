package dev.herald.jobs.http;

import dev.herald.jobs.JobLifecycle;
import dev.herald.jobs.JobMetrics;
import dev.herald.jobs.JobState;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.Nack;
import dev.herald.jobs.Settlement;
import dev.herald.tracing.Tracing;
import java.time.Instant;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.Function;

/**
 * What a worker or an admin reports about a job, over HTTP or WebSocket alike: the store's transition,
 * then, when it changed the job, its lifecycle event (published before the caller answers, so that a
 * worker's next call is announced after it) and its count.
 */
@ApplicationScoped
public class JobReports {

    private final JobStore store;
    private final JobLifecycle lifecycle;
    private final JobMetrics metrics;
    private final Tracing tracing;

    public JobReports(JobStore store, JobLifecycle lifecycle, JobMetrics metrics, Tracing tracing) {
        this.store = store;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.tracing = tracing;
    }

    public Uni<Settlement> progress(String id, String lease, int progress, String message, String data) {
        return announced("progress", store.progress(id, lease, progress, message, data), s -> JobLifecycle.PROGRESS);
    }

    public Uni<Settlement> ack(String id, String lease, String result) {
        return announced("ack", store.ack(id, lease, result), s -> JobLifecycle.typeOf(s.state()));
    }

    /** Several acks settled together ({@link JobStore#ackAll}), each then announced and counted as {@link #ack}. */
    public Uni<List<Settlement>> ackAll(List<JobStore.Ack> acks) {
        if (acks.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        Instant started = tracing.enabled() ? Instant.now() : null;
        return store.ackAll(acks).call(settled -> Uni.join().all(settled.stream()
                .map(s -> afterwards("ack", started, s, s.outcome() == Settlement.Outcome.APPLIED
                        ? JobLifecycle.typeOf(s.status().state()) : null))
                .toList()).andFailFast().replaceWithVoid());
    }

    public Uni<Settlement> nack(String id, String lease, Nack nack) {
        return announced("nack", store.nack(id, lease, nack), s -> JobLifecycle.typeOf(s.state()));
    }

    /**
     * A job given back unworked. Its {@code job.queued} follows the release, so a worker that leases it at
     * once may announce {@code job.active} first (a reordering retry avoids by announcing first, which a
     * release cannot: it does not know the job's status before). Not so when the store announces: the
     * release's own call appends it.
     */
    public Uni<Settlement> release(String id, String lease) {
        return announced("release", store.release(id, lease), s -> JobLifecycle.QUEUED);
    }

    /**
     * A dead job queued again: announced first, as an enqueue is (once queued, it may be leased and
     * announced active at once).
     */
    public Uni<Settlement> retry(JobStatus dead) {
        Uni<Void> queued = dead.state() == JobState.DEAD ? lifecycle.announce(requeued(dead))
                : Uni.createFrom().voidItem();
        return queued.chain(() -> store.retry(dead.id()));
    }

    private static JobStatus requeued(JobStatus dead) {
        long now = System.currentTimeMillis();
        return new JobStatus(dead.id(), dead.queue(), dead.type(), JobState.QUEUED, 0, dead.maxAttempts(),
                dead.progress(), dead.progressMessage(), dead.progressData(), dead.result(), dead.error(),
                dead.createdAt(), now, 0, dead.startedAt(), dead.owner(), dead.trace());
    }

    private Uni<Settlement> announced(String operation, Uni<Settlement> settled, Function<JobStatus, String> eventType) {
        Instant started = tracing.enabled() ? Instant.now() : null;
        return settled.call(s -> afterwards(operation, started, s,
                s.outcome() == Settlement.Outcome.APPLIED ? eventType.apply(s.status()) : null));
    }

    /** A settlement's span (when traced), count and event ({@code eventType}, when it changed the job). */
    private Uni<Void> afterwards(String operation, Instant started, Settlement s, String eventType) {
        if (started != null && s.status() != null && s.status().trace() != null) {
            // A child of the job's enqueue span, known only now that the store answered.
            JobStatus status = s.status();
            tracing.job(operation, status.queue().name(), status.id(), status.trace(), null, started)
                    .attribute("herald.outcome", s.outcome().name().toLowerCase(java.util.Locale.ROOT)).end();
        }
        if (s.outcome() != Settlement.Outcome.APPLIED) {
            if (s.outcome() == Settlement.Outcome.CONFLICT) {
                metrics.staleLease();
            }
            return Uni.createFrom().voidItem();
        }
        count(s.status());
        return lifecycle.announce(eventType, s.status());
    }

    private void count(JobStatus status) {
        switch (status.state()) {
            case SUCCEEDED -> metrics.succeeded(Math.max(0, status.updatedAt() - status.startedAt()));
            case FAILED -> metrics.failed();
            case DEAD -> metrics.dead();
            default -> {
            }
        }
    }
}
