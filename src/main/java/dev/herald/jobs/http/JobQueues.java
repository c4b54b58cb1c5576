package dev.herald.jobs.http;

import dev.herald.jobs.JobStatus;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.QueueName;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The queue of a job, which a worker's report needs before it may change the job ({@code work} is a right
 * on queues, and a job id does not name its queue). A job's queue never changes, so what this node saw
 * (jobs it stored or leased, or looked up) is remembered and a worker's ack costs no lookup in the store;
 * a job this node never saw is looked up. Bounded: when full, arbitrary entries go, down to nine tenths
 * (a forgotten job is looked up again).
 *
 * <p>A remembered job may since have been forgotten by the store (its retention passed): the report then
 * finds no job and answers 404, as a lookup would have.
 */
@ApplicationScoped
public class JobQueues {

    /** Entries kept at most: about 150 bytes each. */
    static final int CAPACITY = 65_536;

    private final JobStore store;
    private final ConcurrentHashMap<String, QueueName> queues = new ConcurrentHashMap<>();

    public JobQueues(JobStore store) {
        this.store = store;
    }

    public void remember(String id, QueueName queue) {
        if (queues.size() >= CAPACITY) {
            Iterator<String> ids = queues.keySet().iterator();
            for (int n = queues.size() - CAPACITY * 9 / 10; n > 0 && ids.hasNext(); n--) {
                ids.next();
                ids.remove();
            }
        }
        queues.put(id, queue);
    }

    /** The job's queue, or null when there is no such job. */
    public Uni<QueueName> of(String id) {
        QueueName known = queues.get(id);
        if (known != null) {
            return Uni.createFrom().item(known);
        }
        return store.status(id).map(status -> status == null ? null : remembered(status));
    }

    private QueueName remembered(JobStatus status) {
        remember(status.id(), status.queue());
        return status.queue();
    }
}
