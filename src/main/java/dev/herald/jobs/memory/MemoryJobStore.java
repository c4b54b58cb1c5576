package dev.herald.jobs.memory;

import dev.herald.broker.BrokerUnavailableException;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobState;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.LeaseBatch;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.Nack;
import dev.herald.jobs.QueueCounts;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.Settlement;
import dev.herald.jobs.Settlement.Outcome;
import io.smallrye.mutiny.Uni;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Jobs in this node's memory: for one node, and <b>not durable</b>: a restart loses every job, queued or
 * not. Use the Redis store (with {@code herald.broker=redis} and an append-only Redis) to keep jobs across
 * restarts and share queues between nodes.
 *
 * <p>One lock guards everything; every operation is a few map and queue steps under it, except
 * {@link #counts}, which walks the node's jobs (finished ones included, for the retention): fine for a
 * dev node or a small one, a reason more to use Redis for large queues.
 */
public final class MemoryJobStore implements JobStore {

    private final JobPolicy policy;
    private final Map<String, MemoryJob> jobs = new HashMap<>();
    private final Map<QueueName, MemoryQueue> queues = new HashMap<>();
    /** Finished jobs in the order they finished, to forget them after the retention. */
    private final ArrayDeque<MemoryQueue.Timed> finished = new ArrayDeque<>();
    private volatile Consumer<QueueName> listener = q -> {
    };
    private volatile boolean closed;

    public MemoryJobStore(JobPolicy policy) {
        this.policy = policy;
    }

    @Override
    public String name() {
        return "memory";
    }

    private <T> Uni<T> locked(Supplier<T> action) {
        return Uni.createFrom().deferred(() -> {
            if (closed) {
                return Uni.createFrom().failure(new BrokerUnavailableException("the job store is closed"));
            }
            T result;
            synchronized (this) {
                forgetFinished(now());
                result = action.get();
            }
            return Uni.createFrom().item(result);
        });
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    @Override
    public Uni<Enqueued> enqueue(EnqueueRequest request) {
        return locked(() -> {
            long now = now();
            MemoryQueue q = queue(request.queue());
            String key = request.idempotencyKey();
            if (key != null) {
                MemoryQueue.Timed seen = q.keys.get(key);
                if (seen != null && seen.at() > now && jobs.containsKey(seen.id())) {
                    return new Enqueued(jobs.get(seen.id()).status(), true);
                }
            }
            MemoryJob stored = jobs.get(request.id());
            if (stored != null) {
                return new Enqueued(stored.status(), true); // the same request again
            }
            MemoryJob job = new MemoryJob(request.id(), request, now);
            jobs.put(job.id, job);
            if (key != null) {
                q.keys.put(key, new MemoryQueue.Timed(now + policy.retention().toMillis(), job.id, null));
            }
            long delay = request.delay().toMillis();
            if (delay > 0) {
                job.state = JobState.DELAYED;
                job.nextRunAt = now + delay;
                q.due.add(new MemoryQueue.Timed(job.nextRunAt, job.id, null));
            } else {
                q.ready(job, now);
            }
            return new Enqueued(job.status(), false);
        }).invoke(e -> {
            if (e.status().state() == JobState.QUEUED && !e.duplicate()) {
                listener.accept(request.queue());
            }
        });
    }

    private MemoryQueue queue(QueueName name) {
        return queues.computeIfAbsent(name, n -> new MemoryQueue());
    }

    @Override
    public Uni<LeaseBatch> lease(LeaseRequest request) {
        return locked(() -> {
            long now = now();
            MemoryQueue q = queue(request.queue());
            q.promoteDue(jobs, now);
            List<LeasedJob> leased = new ArrayList<>();
            List<JobStatus> expired = new ArrayList<>();
            int redelivered = 0;
            for (Iterator<MemoryQueue.Timed> it = q.leases.iterator(); it.hasNext() && leased.size() < request.max(); ) {
                MemoryQueue.Timed t = it.next();
                MemoryJob job = jobs.get(t.id());
                if (job == null || job.state != JobState.ACTIVE || !t.lease().equals(job.lease)) {
                    it.remove(); // settled or leased again since
                    continue;
                }
                if (job.leaseUntil > now) {
                    continue;
                }
                it.remove();
                job.error = "lease expired";
                if (job.attempt >= job.maxAttempts) {
                    kill(q, job, now);
                    expired.add(job.status());
                } else {
                    leased.add(lease(q, job, request, now));
                    redelivered++;
                }
            }
            while (leased.size() < request.max() && !q.ready.isEmpty()) {
                MemoryJob job = jobs.get(q.ready.pollFirst());
                if (job != null && job.state == JobState.QUEUED) {
                    leased.add(lease(q, job, request, now));
                }
            }
            long nextDue = q.due.stream().mapToLong(MemoryQueue.Timed::at).min().orElse(0);
            return new LeaseBatch(leased, expired, redelivered, nextDue);
        });
    }

    private static LeasedJob lease(MemoryQueue q, MemoryJob job, LeaseRequest request, long now) {
        job.state = JobState.ACTIVE;
        job.attempt++;
        job.progress = 0; // each attempt reports its own progress
        job.progressMessage = null;
        job.progressData = null;
        job.lease = JobIds.newLease();
        job.visibilityMillis = job.timeoutMillis > 0 ? job.timeoutMillis : request.visibility().toMillis();
        job.leaseUntil = now + job.visibilityMillis;
        job.updatedAt = now;
        job.startedAt = now;
        q.leases.add(new MemoryQueue.Timed(job.leaseUntil, job.id, job.lease));
        return new LeasedJob(job.status(), job.data, job.lease, job.leaseUntil);
    }

    /**
     * Runs {@code transition} (under the store's lock, with the time) on the job {@code lease} currently
     * holds: not found, or refused for a lease that is not the job's current one (a repeated {@code op}
     * with the same lease answers as the first did).
     */
    private Uni<Settlement> onLease(String id, String lease, String op, BiFunction<MemoryJob, Long, Settlement> transition) {
        return locked(() -> {
            MemoryJob job = jobs.get(id);
            if (job == null) {
                return Settlement.notFound();
            }
            Settlement refused = job.check(lease, op);
            return refused != null ? refused : transition.apply(job, now());
        });
    }

    @Override
    public Uni<Settlement> progress(String id, String lease, int progress, String message, String data) {
        return onLease(id, lease, null, (job, now) -> {
            job.progress = progress;
            job.progressMessage = message;
            job.progressData = data;
            job.leaseUntil = now + job.visibilityMillis;
            job.updatedAt = now;
            queue(job.queue).leases.add(new MemoryQueue.Timed(job.leaseUntil, job.id, job.lease));
            return new Settlement(Outcome.APPLIED, job.status());
        });
    }

    @Override
    public Uni<Settlement> ack(String id, String lease, String result) {
        return onLease(id, lease, "ack", (job, now) -> {
            job.settle("ack", now);
            job.state = JobState.SUCCEEDED;
            job.result = result;
            job.progress = 100;
            finish(job, now);
            return new Settlement(Outcome.APPLIED, job.status());
        });
    }

    @Override
    public Uni<Settlement> nack(String id, String lease, Nack nack) {
        return onLease(id, lease, "nack", (job, now) -> {
            job.settle("nack", now);
            job.error = nack.error();
            MemoryQueue q = queue(job.queue);
            if (!nack.retry() || job.attempt >= job.maxAttempts) {
                kill(q, job, now);
            } else {
                long delay = nack.delay() != null ? nack.delay().toMillis()
                        : policy.backoffMillis(job.attempt, ThreadLocalRandom.current().nextDouble());
                job.state = JobState.FAILED;
                job.nextRunAt = now + delay;
                q.due.add(new MemoryQueue.Timed(job.nextRunAt, job.id, null));
            }
            return new Settlement(Outcome.APPLIED, job.status());
        });
    }

    @Override
    public Uni<Settlement> release(String id, String lease) {
        return onLease(id, lease, null, (job, now) -> {
            job.settle("release", now);
            job.attempt--;
            queue(job.queue).ready(job, now);
            return new Settlement(Outcome.APPLIED, job.status());
        }).invoke(s -> {
            if (s.outcome() == Outcome.APPLIED) {
                listener.accept(s.status().queue());
            }
        });
    }

    private void kill(MemoryQueue q, MemoryJob job, long now) {
        job.state = JobState.DEAD;
        job.lease = null;
        job.leaseUntil = 0;
        job.nextRunAt = 0;
        job.updatedAt = now;
        q.dead.addFirst(job.id);
        finish(job, now);
    }

    private void finish(MemoryJob job, long now) {
        job.finishedAt = now;
        finished.addLast(new MemoryQueue.Timed(now, job.id, null));
    }

    private void forgetFinished(long now) {
        long before = now - policy.retention().toMillis();
        while (!finished.isEmpty() && finished.peekFirst().at() <= before) {
            MemoryQueue.Timed t = finished.pollFirst();
            MemoryJob job = jobs.get(t.id());
            if (job != null && job.state.finished() && job.finishedAt == t.at()) {
                jobs.remove(t.id());
                MemoryQueue q = queues.get(job.queue);
                if (q != null && job.state == JobState.DEAD) {
                    q.dead.remove(job.id);
                }
            }
        }
        for (MemoryQueue q : queues.values()) {
            q.keys.values().removeIf(k -> k.at() <= now);
        }
    }

    @Override
    public Uni<Settlement> retry(String id) {
        return locked(() -> {
            MemoryJob job = jobs.get(id);
            if (job == null) {
                return Settlement.notFound();
            }
            if (job.state != JobState.DEAD) {
                return new Settlement(Outcome.CONFLICT, job.status());
            }
            MemoryQueue q = queue(job.queue);
            q.dead.remove(job.id);
            job.attempt = 0;
            job.finishedAt = 0;
            q.ready(job, now());
            return new Settlement(Outcome.APPLIED, job.status());
        }).invoke(s -> {
            if (s.outcome() == Outcome.APPLIED) {
                listener.accept(s.status().queue());
            }
        });
    }

    @Override
    public Uni<JobStatus> status(String id) {
        return locked(() -> {
            MemoryJob job = jobs.get(id);
            return job == null ? null : job.status();
        });
    }

    @Override
    public Uni<List<JobStatus>> dead(QueueName queue, int limit) {
        return locked(() -> {
            MemoryQueue q = queues.get(queue);
            List<JobStatus> out = new ArrayList<>();
            if (q != null) {
                for (Iterator<String> it = q.dead.iterator(); it.hasNext() && out.size() < limit; ) {
                    out.add(jobs.get(it.next()).status());
                }
            }
            return out;
        });
    }

    @Override
    public Uni<QueueCounts> counts(QueueName queue) {
        return locked(() -> {
            long now = now();
            long[] by = new long[JobState.values().length];
            long oldest = 0;
            for (MemoryJob job : jobs.values()) {
                if (job.queue.equals(queue)) {
                    by[job.state.ordinal()]++;
                    if (job.state == JobState.QUEUED) {
                        oldest = Math.max(oldest, now - job.queuedAt);
                    }
                }
            }
            return new QueueCounts(queue, by[JobState.QUEUED.ordinal()], by[JobState.DELAYED.ordinal()],
                    by[JobState.ACTIVE.ordinal()], by[JobState.SUCCEEDED.ordinal()], by[JobState.FAILED.ordinal()],
                    by[JobState.DEAD.ordinal()], oldest);
        });
    }

    @Override
    public void setAvailabilityListener(Consumer<QueueName> listener) {
        this.listener = listener;
    }

    @Override
    public void watch(QueueName queue) {
        // Every enqueue in memory mode is on this node: the listener hears of all of them.
    }

    @Override
    public void unwatch(QueueName queue) {
    }

    @Override
    public void close() {
        closed = true;
    }
}
