package dev.herald.jobs.http;

import dev.herald.api.ErrorCode;
import dev.herald.api.RetryLaterException;
import dev.herald.config.HeraldConfig;
import dev.herald.jobs.JobLifecycle;
import dev.herald.jobs.JobMetrics;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.LeaseBatch;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.Settlement;
import dev.herald.ops.Drain;
import dev.herald.ops.Drainable;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import dev.herald.tracing.Tracing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Workers' lease requests that wait for a job (long polling), on this node.
 *
 * <p>A waiting lease holds no thread: it is a timer and an entry in its queue's line. It is woken when the
 * store says a job may be available (an enqueue on any node: {@link JobStore#watch}), and the first in its
 * queue's line also looks every {@code herald.jobs.poll-interval}, for what no notice announces: expired
 * leases, due retries and delayed jobs, notices lost while Redis was unreachable. A notice wakes one waiter
 * (not all: with thousands waiting, all would race for one job); a waiter that filled its {@code max} wakes
 * the next, since more jobs may be there. A lease that arrives while others of its queue wait idle joins
 * them without a store call: at low rates a worker's next lease would otherwise cost a call that finds
 * nothing.
 *
 * <p>Waiting leases are bounded ({@code herald.jobs.max-waiting-leases}): beyond it, a lease that would wait
 * gets 503 with Retry-After. At shutdown they are answered at once, empty.
 *
 * <p>Every lease call's outcome is announced before its jobs are handed out: {@code job.active} per job
 * leased (so a worker's later progress or ack is announced after it), {@code job.dead} per job whose
 * last lease expired.
 */
@ApplicationScoped
public class LeaseWaiters {

    private final JobStore store;
    private final JobQueues jobQueues;
    private final JobLifecycle lifecycle;
    private final JobMetrics metrics;
    private final Tracing tracing;
    private final Drain drain;
    private final Vertx vertx;
    private final long pollMillis;
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Map<QueueName, Line> lines = new ConcurrentHashMap<>();

    /** How long a queue stays watched after its last waiting lease left. */
    private static final long LINGER_MILLIS = 10_000;

    public LeaseWaiters(JobStore store, JobLifecycle lifecycle, JobMetrics metrics, Drain drain, Vertx vertx,
                        HeraldConfig config, JobQueues jobQueues, Tracing tracing) {
        this.store = store;
        this.jobQueues = jobQueues;
        this.tracing = tracing;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.drain = drain;
        this.vertx = vertx;
        this.pollMillis = Math.max(10, config.jobs().pollInterval().toMillis());
        this.maxWaiting = config.jobs().maxWaitingLeases();
        store.setAvailabilityListener(queue -> {
            Line line = lines.get(queue);
            if (line != null) {
                line.wakeOne();
            }
        });
    }

    /** Lease requests waiting on this node for a job of {@code queue}. */
    public int waiting(QueueName queue) {
        Line line = lines.get(queue);
        return line == null ? 0 : line.size();
    }

    /**
     * Leases jobs for a worker: at once when there are some, else waiting up to {@code wait} for one.
     * Exactly one of the callbacks runs, on {@code context}, unless {@link Runnable cancel} (returned)
     * runs first (the client went away).
     */
    public Runnable lease(Context context, LeaseRequest request, Duration wait, Consumer<List<LeasedJob>> onJobs,
                          Consumer<Throwable> onFailure) {
        Waiter waiter = new Waiter(context, request, System.currentTimeMillis() + wait.toMillis(), onJobs, onFailure);
        waiter.first();
        return waiter::cancel;
    }

    /** One lease call, announced: dead jobs (not awaited), then each leased job's activation (awaited). */
    private Uni<List<LeasedJob>> leaseOnce(LeaseRequest request) {
        Instant started = tracing.enabled() ? Instant.now() : null;
        return store.lease(request).invoke(batch -> traced(batch, started)).call(batch -> announce(batch))
                .map(LeaseBatch::jobs);
    }

    /** A lease span per traced job, a child of its enqueue span. */
    private void traced(LeaseBatch batch, Instant started) {
        if (started == null) {
            return;
        }
        for (LeasedJob job : batch.jobs()) {
            if (job.status().trace() != null) {
                tracing.job("lease", job.status().queue().name(), job.id(), job.status().trace(), null, started)
                        .attribute("herald.attempt", String.valueOf(job.status().attempt())).end();
            }
        }
    }

    private Uni<Void> announce(LeaseBatch batch) {
        for (JobStatus dead : batch.expired()) {
            metrics.dead();
            lifecycle.announce(JobLifecycle.DEAD, dead).subscribe().with(v -> {
            });
        }
        if (batch.jobs().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        metrics.leased(batch.jobs().size());
        batch.jobs().forEach(job -> jobQueues.remember(job.id(), job.status().queue()));
        metrics.redelivered(batch.redelivered());
        return Multi.createFrom().iterable(batch.jobs())
                .onItem().transformToUniAndMerge(job -> lifecycle.announce(JobLifecycle.ACTIVE, job.status()))
                .collect().last().replaceWithVoid();
    }

    /**
     * The waiting leases of one queue, first come first woken. It counts the notices it got, so that a
     * lease call that found nothing knows whether one came while it was in flight (and looks again rather
     * than wait for the next poll). Once empty it stays, still watching, for {@link #LINGER_MILLIS}: a
     * worker that leases again right after its jobs finds the queue watched, not a fresh subscription
     * that notices sent meanwhile miss.
     */
    private final class Line {
        private final QueueName queue;
        private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        private long notices;
        private long ticker = -1;
        private long linger = -1;
        private boolean closed;

        Line(QueueName queue) {
            this.queue = queue;
        }

        synchronized int size() {
            return waiters.size();
        }

        synchronized long notices() {
            return notices;
        }

        /** Adds a waiter; false when the line is closed (emptied and dropped meanwhile): take a new one. */
        synchronized boolean add(Waiter waiter) {
            if (closed) {
                return false;
            }
            waiters.addLast(waiter);
            if (linger >= 0) {
                vertx.cancelTimer(linger);
                linger = -1;
            }
            if (ticker == -1) {
                store.watch(queue);
                ticker = vertx.setPeriodic(pollMillis, id -> wakeOne());
            }
            return true;
        }

        synchronized void remove(Waiter waiter) {
            waiters.remove(waiter);
            if (waiters.isEmpty() && !closed && linger == -1) {
                linger = vertx.setTimer(LINGER_MILLIS, id -> closeIfEmpty());
            }
        }

        private synchronized void closeIfEmpty() {
            linger = -1;
            if (waiters.isEmpty() && !closed) {
                closed = true;
                vertx.cancelTimer(ticker);
                lines.remove(queue, this);
                store.unwatch(queue);
            }
        }

        /**
         * Counts a notice and starts one idle waiter's lease call. Two notices at once may pick the same
         * waiter: the one that loses the race goes on to the next idle waiter, so no notice is lost.
         */
        void wakeOne() {
            synchronized (this) {
                notices++;
            }
            Waiter next;
            while ((next = firstIdle()) != null && !next.attempt()) {
                // started by another notice meanwhile (no longer idle): the next one
            }
        }

        private synchronized Waiter firstIdle() {
            return waiters.stream().filter(Waiter::idle).findFirst().orElse(null);
        }
    }

    private final class Waiter implements Drainable {
        private final Context context;
        private final LeaseRequest request;
        private final long deadline;
        private final Consumer<List<LeasedJob>> onJobs;
        private final Consumer<Throwable> onFailure;
        private final AtomicBoolean inFlight = new AtomicBoolean(true);
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile boolean expired;
        private Line line;
        /** The line's notices when the lease call in flight began (-1: before this node watched the queue). */
        private long seen = -1;
        private long timer = -1;

        Waiter(Context context, LeaseRequest request, long deadline, Consumer<List<LeasedJob>> onJobs,
               Consumer<Throwable> onFailure) {
            this.context = context;
            this.request = request;
            this.deadline = deadline;
            this.onJobs = onJobs;
            this.onFailure = onFailure;
        }

        boolean idle() {
            return !inFlight.get() && !done.get();
        }

        void first() {
            Line watching = lines.get(request.queue());
            seen = watching == null ? -1 : watching.notices();
            if (watching != null && watching.firstIdle() != null && System.currentTimeMillis() < deadline) {
                // Others wait for this queue with no call in flight: it had no job when they last looked,
                // and each notice since woke one of them. This lease waits behind them without a store call
                // of its own; what comes without a notice (due, expired) the line's poll finds, as for them.
                startWaiting();
                return;
            }
            leaseOnce(request).subscribe().with(jobs -> context.runOnContext(v -> {
                if (!jobs.isEmpty() || System.currentTimeMillis() >= deadline) {
                    answer(jobs);
                    // Notices that came during the call may announce jobs it missed: a waiter looks.
                    Line now = lines.get(request.queue());
                    if (!jobs.isEmpty() && now != null && now == watching && now.notices() != seen) {
                        now.wakeOne();
                    }
                } else {
                    startWaiting();
                }
            }), failure -> context.runOnContext(v -> fail(failure)));
        }

        private void startWaiting() {
            if (waiting.incrementAndGet() > maxWaiting) {
                waiting.decrementAndGet();
                fail(new RetryLaterException(ErrorCode.TOO_MANY_WAITING_LEASES,
                        "this node holds too many waiting leases; lease again", 1 + ThreadLocalRandom.current().nextInt(5)));
                return;
            }
            if (done.get()) {
                waiting.decrementAndGet();
                return;
            }
            while (true) {
                Line existing = lines.get(request.queue());
                line = existing != null ? existing : lines.computeIfAbsent(request.queue(), Line::new);
                if (line.add(this)) {
                    break;
                }
                seen = -1;
            }
            drain.register(this);
            timer = vertx.setTimer(Math.max(1, deadline - System.currentTimeMillis()), id -> goAway(Duration.ZERO));
            inFlight.set(false);
            // A queue watched only from now on was announced by no notice yet: the store announces it once
            // its notices flow (QueueNotices), which wakes this waiter then.
            if (seen >= 0 && line.notices() != seen) {
                attempt();
            }
        }

        /** Starts a lease call unless one is in flight or the waiter is done; whether it started one. */
        boolean attempt() {
            if (!inFlight.compareAndSet(false, true)) {
                return false;
            }
            if (done.get()) {
                inFlight.set(false);
                return false;
            }
            seen = line.notices();
            leaseOnce(request).subscribe().with(jobs -> context.runOnContext(v -> {
                inFlight.set(false);
                if (!jobs.isEmpty()) {
                    answer(jobs);
                    // More may be there: it took all it could, or notices came that its call may have missed.
                    if (jobs.size() == request.max() || line.notices() != seen) {
                        line.wakeOne();
                    }
                } else if (expired) {
                    answer(jobs);
                } else if (line.notices() != seen) {
                    attempt(); // a notice came while this call was in flight, perhaps too late for it
                }
            }), failure -> context.runOnContext(v -> {
                inFlight.set(false);
                fail(failure);
            }));
            return true;
        }

        /** The wait is over (its time passed, or the node shuts down): answers empty unless a lease is in flight. */
        @Override
        public void goAway(Duration retry) {
            context.runOnContext(v -> {
                expired = true;
                if (!inFlight.get()) {
                    answer(List.of());
                }
            });
        }

        void cancel() {
            context.runOnContext(v -> finish());
        }

        private void answer(List<LeasedJob> jobs) {
            if (finish()) {
                onJobs.accept(jobs);
                return;
            }
            // The client went away while this lease was in flight: its jobs go back at once rather than
            // when their leases expire.
            for (LeasedJob job : jobs) {
                store.release(job.id(), job.lease()).call(s -> s.outcome() == Settlement.Outcome.APPLIED
                        ? lifecycle.announce(JobLifecycle.QUEUED, s.status()) : Uni.createFrom().voidItem())
                        .subscribe().with(s -> {
                        }, failure -> {
                            // the lease expires instead
                        });
            }
        }

        private void fail(Throwable failure) {
            if (finish()) {
                onFailure.accept(failure);
            }
        }

        private boolean finish() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (line != null) {
                line.remove(this);
                drain.unregister(this);
                waiting.decrementAndGet();
            }
            return true;
        }
    }
}
