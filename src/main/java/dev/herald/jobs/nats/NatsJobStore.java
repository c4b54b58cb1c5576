package dev.herald.jobs.nats;

import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.nats.NatsBroker;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobState;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.LeaseBatch;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.Nack;
import dev.herald.jobs.QueueCounts;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.Settlement;
import dev.herald.jobs.Settlement.Outcome;
import dev.herald.jobs.nats.JobDocs.Stored;
import io.nats.client.JetStreamApiException;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Jobs in NATS JetStream, shared by every node on the NATS server or cluster and durable as far as its
 * file store is (replicated with {@code herald.nats.replicas}). A job's document in a key-value bucket is
 * the truth, changed only by compare-and-set on its revision; a ticket on a work-queue stream is its timer
 * (the layout is in {@link JobSpace}, leasing in {@link TicketLeaser}). So only the current lease settles
 * a job, however the stream redelivers its ticket, and a lost ticket move only makes a job wait longer.
 *
 * <p>Leases are any length (per worker or per job): their end is the document's, and the ticket is given
 * back until then with a delayed NAK rather than by the consumer's ack wait. Counts and the dead list read
 * every retained job of the queue's tag: fine for the admin page, costly for very large queues.
 */
public final class NatsJobStore implements JobStore {

    private static final int MAX_CAS = 50;

    private final JobPolicy policy;
    private final Executor blocking;
    private final JobSpace space;
    private final Tickets tickets;
    private final JobDocs docs;
    private final TicketLeaser leaser;
    private final JobIntake intake;
    private final QueueWatches watches;
    private volatile boolean closed;

    public NatsJobStore(NatsBroker broker, JobPolicy policy) {
        this.policy = policy;
        this.blocking = broker.blockingExecutor();
        this.space = new JobSpace(broker, policy);
        this.tickets = new Tickets(space);
        this.docs = new JobDocs(space, broker.settings().requestTimeout());
        this.leaser = new TicketLeaser(space, tickets, docs);
        this.intake = new JobIntake(space, tickets, docs, leaser);
        this.watches = new QueueWatches(space);
    }

    /**
     * Whether the job stream and buckets exist (created if needed): a store answers before that too, but its
     * first call then waits for them, which on a cluster takes the elections of their replicas. Once they
     * exist, answered at once (no hop to a worker thread per probe).
     */
    @Override
    public Uni<Boolean> ready() {
        if (space.isReady()) {
            return Uni.createFrom().item(true);
        }
        return blocking(() -> {
            space.ready();
            return true;
        }).onFailure().recoverWithItem(false);
    }

    @Override
    public String name() {
        return "nats";
    }

    @Override
    public Uni<Enqueued> enqueue(EnqueueRequest request) {
        return blocking(() -> intake.store(request)).invoke(e -> {
            if (e.status().state() == JobState.QUEUED && !e.duplicate()) {
                space.notice(request.queue());
            }
        });
    }

    @Override
    public Uni<LeaseBatch> lease(LeaseRequest request) {
        return blocking(() -> leaser.lease(request));
    }

    @Override
    public Uni<Settlement> progress(String id, String lease, int progress, String message, String data) {
        return onLease(id, lease, null, (job, now) -> {
            job.progress = progress;
            job.progressMessage = message;
            job.progressData = data;
            // The ticket comes back at the old end, finds the lease running and is given back until the new end.
            job.leaseUntil = now + job.visibilityMillis;
            job.updatedAt = now;
        });
    }

    @Override
    public Uni<Settlement> ack(String id, String lease, String result) {
        return onLease(id, lease, "ack", (job, now) -> {
            job.settle("ack", now);
            job.state(JobState.SUCCEEDED);
            job.result = result;
            job.progress = 100;
        });
    }

    @Override
    public Uni<Settlement> nack(String id, String lease, Nack nack) {
        return onLease(id, lease, "nack", (job, now) -> {
            job.settle("nack", now);
            job.error = nack.error();
            if (!nack.retry() || job.attempt >= job.maxAttempts) {
                job.kill(now);
            } else {
                long delay = nack.delay() != null ? nack.delay().toMillis()
                        : policy.backoffMillis(job.attempt, ThreadLocalRandom.current().nextDouble());
                job.state(JobState.FAILED);
                job.nextRunAt = now + delay;
            }
        });
    }

    @Override
    public Uni<Settlement> release(String id, String lease) {
        return onLease(id, lease, null, (job, now) -> {
            job.settle("release", now);
            job.attempt--;
            job.queue(now);
        });
    }

    /**
     * Applies {@code change} to the job {@code lease} currently holds, by compare-and-set (read again and
     * retried when another call changed the job first), then moves its ticket to match: not found, or
     * refused for a lease that is not the current one (a repeated {@code op} with the same lease answers as
     * the first did).
     */
    private Uni<Settlement> onLease(String id, String lease, String op, BiConsumer<NatsJob, Long> change) {
        return blocking(() -> {
            for (int attempt = 0; attempt < MAX_CAS; attempt++) {
                Stored stored = docs.find(id);
                if (stored == null) {
                    return Settlement.notFound();
                }
                NatsJob job = stored.job();
                Settlement refused = job.check(lease, op);
                if (refused != null) {
                    return refused;
                }
                String handle = job.handle;
                change.accept(job, System.currentTimeMillis());
                long revision = docs.update(job, stored.revision());
                if (revision < 0) {
                    continue;
                }
                settled(job, handle, revision);
                return new Settlement(Outcome.APPLIED, job.status());
            }
            throw new BrokerUnavailableException("job " + id + " changed too often; retry later");
        });
    }

    /** After a lease's change: the job's ticket follows its new state. */
    private void settled(NatsJob job, String handle, long revision) throws IOException, JetStreamApiException {
        QueueName queue = QueueName.of(job.queue);
        switch (job.state()) {
            case SUCCEEDED, DEAD -> {
                tickets.move(handle, Tickets.Move.DONE);
                docs.moveToDone(job, revision);
            }
            case FAILED -> {
                tickets.moveIn(handle, job.nextRunAt - job.updatedAt);
                leaser.dueAt(queue, job.nextRunAt);
            }
            case QUEUED -> {
                tickets.move(handle, Tickets.Move.NOW);
                space.notice(queue);
            }
            default -> {
            }
        }
    }

    @Override
    public Uni<Settlement> retry(String id) {
        return blocking(() -> {
            for (int attempt = 0; attempt < MAX_CAS; attempt++) {
                Stored stored = docs.find(id);
                if (stored == null) {
                    return Settlement.notFound();
                }
                NatsJob job = stored.job();
                if (job.state() != JobState.DEAD) {
                    return new Settlement(Outcome.CONFLICT, job.status());
                }
                byte[] before = job.toBytes();
                job.attempt = 0;
                job.queue(System.currentTimeMillis());
                long revision = stored.finished()
                        ? docs.recreate(job, stored.revision())
                        : docs.update(job, stored.revision());
                if (revision < 0) {
                    continue;
                }
                try {
                    tickets.add(QueueName.of(job.queue), job.id, job.id + "." + revision);
                } catch (IOException | JetStreamApiException | RuntimeException e) {
                    undoRetry(stored, before, revision);
                    throw e;
                }
                if (stored.finished()) {
                    docs.forgetDone(id);
                }
                space.notice(QueueName.of(job.queue));
                return new Settlement(Outcome.APPLIED, job.status());
            }
            throw new BrokerUnavailableException("job " + id + " changed too often; retry later");
        });
    }

    /** A retry whose ticket was not stored: the job is dead again (best effort), so that it can be retried. */
    private void undoRetry(Stored stored, byte[] before, long revision) {
        try {
            if (stored.finished()) {
                space.forget(stored.job().id, revision);
            } else {
                space.swapJob(JobSpace.jobKey(stored.job().id), before, revision, "");
            }
        } catch (IOException | JetStreamApiException | RuntimeException ignored) {
            // the job stays queued without a ticket until retried by an operator after the fact
        }
    }

    @Override
    public Uni<JobStatus> status(String id) {
        return blocking(() -> {
            Stored stored = docs.find(id);
            return stored == null ? null : stored.job().status();
        });
    }

    @Override
    public Uni<List<JobStatus>> dead(QueueName queue, int limit) {
        return blocking(() -> docs.dead(queue, limit).stream().map(s -> s.job().status()).toList());
    }

    @Override
    public Uni<QueueCounts> counts(QueueName queue) {
        return blocking(() -> docs.counts(queue));
    }

    @Override
    public void setAvailabilityListener(Consumer<QueueName> listener) {
        watches.setListener(listener);
    }

    @Override
    public void watch(QueueName queue) {
        watches.watch(queue);
    }

    @Override
    public void unwatch(QueueName queue) {
        watches.unwatch(queue);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            watches.close();
        }
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    /** Runs a call of blocking client methods on the broker's blocking executor, never the caller's thread. */
    private <T> Uni<T> blocking(Call<T> call) {
        return Uni.createFrom().emitter(emitter -> {
            if (closed) {
                emitter.fail(new BrokerUnavailableException("the job store is closed"));
                return;
            }
            try {
                blocking.execute(() -> {
                    try {
                        emitter.complete(call.run());
                    } catch (BrokerUnavailableException e) {
                        emitter.fail(e);
                    } catch (Exception e) {
                        if (e instanceof JetStreamApiException api && api.getErrorCode() == 404) {
                            // A stream, bucket or consumer is gone: created again by the next call.
                            space.reset();
                            tickets.reset();
                        }
                        if (e instanceof InterruptedException) {
                            Thread.currentThread().interrupt();
                        }
                        emitter.fail(new BrokerUnavailableException("the job store is unavailable; retry later", e));
                    }
                });
            } catch (RejectedExecutionException e) {
                emitter.fail(new BrokerUnavailableException("the job store is closed", e));
            }
        });
    }
}
