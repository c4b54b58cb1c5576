package dev.herald.jobs;

import dev.herald.broker.Broker;
import dev.herald.broker.PublishRequest;
import io.smallrye.mutiny.Uni;
import org.jboss.logging.Logger;

/**
 * Publishes a job's lifecycle on its topic {@code job:<id>} through the broker's normal publish path, so
 * any transport follows a job with the usual cursor, resume and reset. Each event's data is the job's
 * status document after the transition, so the last event alone tells where the job stands; a traced job's
 * events carry its enqueue span's traceparent.
 *
 * <p>The transition is the truth, the event its announcement: an event that cannot be published (the
 * broker is down) is logged and counted, and the request that made the transition still succeeds; a
 * follower then reads the status. Callers publish before they answer, so a worker's later call (an ack
 * after its lease) publishes after the event of the earlier one, and one job's events are in order.
 *
 * <p>When the store {@linkplain JobStore#announcesLifecycle announces} the events itself (in each
 * transition's own call), {@link #announce} publishes nothing: the events are already on the topic, in the
 * order of the transitions.
 *
 * <p>Jobs of {@linkplain QuietQueues quiet queues} announce nothing.
 */
public final class JobLifecycle {

    public static final String QUEUED = "job.queued";
    public static final String ACTIVE = "job.active";
    public static final String PROGRESS = "job.progress";
    public static final String SUCCEEDED = "job.succeeded";
    public static final String FAILED = "job.failed";
    public static final String DEAD = "job.dead";

    private static final Logger LOG = Logger.getLogger(JobLifecycle.class);

    private final Broker broker;
    private final boolean storeAnnounces;
    private final QuietQueues quiet;

    /**
     * @param storeAnnounces the job store publishes the events itself ({@link JobStore#announcesLifecycle})
     * @param quiet          the queues whose jobs announce nothing
     */
    public JobLifecycle(Broker broker, boolean storeAnnounces, QuietQueues quiet) {
        this.broker = broker;
        this.storeAnnounces = storeAnnounces;
        this.quiet = quiet;
    }

    /** True when the jobs of {@code queue} announce their lifecycle (it is not a quiet queue). */
    public boolean announces(QueueName queue) {
        return !quiet.contains(queue);
    }

    /** The event type announcing that a job reached {@code state}. */
    public static String typeOf(JobState state) {
        return switch (state) {
            case QUEUED, DELAYED -> QUEUED;
            case ACTIVE -> ACTIVE;
            case SUCCEEDED -> SUCCEEDED;
            case FAILED -> FAILED;
            case DEAD -> DEAD;
        };
    }

    /** Publishes {@code type} with the status as data, unless the store did or the queue is quiet; never fails. */
    public Uni<Void> announce(String type, JobStatus status) {
        if (storeAnnounces || !announces(status.queue())) {
            return Uni.createFrom().voidItem();
        }
        return broker.publish(new PublishRequest(JobIds.topic(status.id()), type, status.toJson(), null, status.trace()))
                .replaceWithVoid()
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("lifecycle event %s of job %s not published: %s", type, status.id(), failure.getMessage());
                    return null;
                });
    }

    /** Announces a transition to the status's own state. */
    public Uni<Void> announce(JobStatus status) {
        return announce(typeOf(status.state()), status);
    }
}
