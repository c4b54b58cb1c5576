package dev.herald.jobs;

import dev.herald.broker.BrokerUnavailableException;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.function.Consumer;

/**
 * The durable work queue behind {@code /v1/queues} and {@code /v1/jobs} (README, "Jobs"). Every backend
 * (memory, Redis, NATS) implements it, and one contract suite ({@code JobStoreContractTest}) runs against each.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Acknowledgement</b>: {@link #enqueue} succeeds only once the job is stored; when it cannot be
 *   stored it fails with {@link BrokerUnavailableException}. An idempotency key seen for the same queue
 *   within the retention stores nothing and answers with the first job ({@link Enqueued#duplicate}).</li>
 *   <li><b>At least once</b>: a leased job that is neither acknowledged nor failed before its lease expires is
 *   leased again, with {@code attempt + 1} (or, with no attempt left, goes to the dead list).</li>
 *   <li><b>At most one success</b>: only the job's current lease can settle it. A lease that is not the
 *   current one gets {@link Settlement.Outcome#CONFLICT}, and changes nothing; the same ack (or nack)
 *   with the same lease again gets {@link Settlement.Outcome#REPEATED} and the same status.</li>
 *   <li><b>Retries</b>: a nack queues the job again after {@link JobPolicy#backoffMillis} (or the nack's
 *   delay) until its attempts are spent; then, or with {@code retry:false}, it is dead.</li>
 *   <li><b>Retention</b>: succeeded and dead jobs are forgotten {@link JobPolicy#retention} after they
 *   finished.</li>
 * </ul>
 * Expired leases and due delayed jobs are acted on by {@link #lease} (of that queue): a queue nobody leases
 * from shows its expired jobs as active until then.
 *
 * <h2>Threads</h2>
 * Every method may be called from any thread, including an event loop, and never blocks. Each returned
 * {@code Uni} fails with {@link BrokerUnavailableException} when the backend cannot be reached; then the
 * call may or may not have taken effect, except for {@link #enqueue}, which then stored nothing (or, when
 * the backend did not answer in time, may have: retry with the same idempotency key).
 */
public interface JobStore {

    /** The backend's name: {@code memory}, {@code redis} or {@code nats}. */
    String name();

    /**
     * True when every transition also publishes its own lifecycle event ({@link JobLifecycle}) on the job's
     * topic, atomically with the transition (the Redis store on a single Redis): then nobody else publishes
     * them. A transition that fails then published nothing, and a duplicate enqueue publishes nothing.
     * Otherwise (the default) the caller publishes each event, as {@link JobLifecycle} describes.
     */
    default boolean announcesLifecycle() {
        return false;
    }

    /**
     * Whether the store can take jobs now; readiness is DOWN until it can. A backend that must first create
     * what it keeps jobs in (NATS: a stream and buckets, whose replicas a cluster elects) creates it here,
     * so that a new node's first jobs do not wait for that. Never fails: false when not ready (yet). The
     * default: ready whenever the broker is.
     */
    default Uni<Boolean> ready() {
        return Uni.createFrom().item(true);
    }

    /** Stores a job, queued at once or delayed. */
    Uni<Enqueued> enqueue(EnqueueRequest request);

    /** Enqueues several jobs in order. Not atomic: when it fails part way, the jobs before are stored. */
    default Uni<List<Enqueued>> enqueueAll(List<EnqueueRequest> requests) {
        return Multi.createFrom().iterable(requests).onItem().transformToUniAndConcatenate(this::enqueue)
                .collect().asList();
    }

    /**
     * Leases up to {@code max} jobs at once, without waiting: jobs whose lease expired first, then queued
     * jobs, oldest first. Due delayed and failed jobs are queued first.
     */
    Uni<LeaseBatch> lease(LeaseRequest request);

    /** Records progress (0–100, an optional message and data) and extends the lease by its visibility. */
    Uni<Settlement> progress(String id, String lease, int progress, String message, String data);

    /** The job succeeded, with an optional result (compact JSON, or null). */
    Uni<Settlement> ack(String id, String lease, String result);

    /** One ack of {@link #ackAll}: the job, its lease, the result (compact JSON, or null). */
    record Ack(String id, String lease, String result) {
    }

    /**
     * Several acks, each settled as {@link #ack} settles it, one after another in their order (the same job
     * twice: applied, then repeated), answered in that order. A store may settle them in fewer round trips
     * than one per ack. Fails as a whole when the backend fails (some acks may have been applied then:
     * acking again answers them as repeated).
     */
    default Uni<List<Settlement>> ackAll(List<Ack> acks) {
        return Multi.createFrom().iterable(acks).onItem()
                .transformToUniAndConcatenate(a -> ack(a.id(), a.lease(), a.result())).collect().asList();
    }

    /** The job's attempt failed: queued again after a backoff, or dead. */
    Uni<Settlement> nack(String id, String lease, Nack nack);

    /**
     * The worker gives the job back unworked (its WebSocket closed): queued again at once, and the attempt
     * it was leased for does not count. Only the current lease may release it.
     */
    Uni<Settlement> release(String id, String lease);

    /** A dead job is queued again with its attempts reset; {@link Settlement.Outcome#CONFLICT} when it is not dead. */
    Uni<Settlement> retry(String id);

    /** The job's status, or null when there is no such job. */
    Uni<JobStatus> status(String id);

    /** The queue's dead jobs, the most recent first, at most {@code limit}. */
    Uni<List<JobStatus>> dead(QueueName queue, int limit);

    Uni<QueueCounts> counts(QueueName queue);

    /**
     * Tells {@code listener} (on any thread) when a job may have become available in a watched queue, on any
     * node: best effort, a waiting worker also polls. Called once, before the first {@link #watch}.
     */
    void setAvailabilityListener(Consumer<QueueName> listener);

    /** Starts availability notices for {@code queue}; counted, so each watch needs one {@link #unwatch}. */
    void watch(QueueName queue);

    void unwatch(QueueName queue);

    /** Releases resources; later calls fail with {@link BrokerUnavailableException}. Idempotent. */
    void close();
}
