package dev.herald.jobs.nats;

import dev.herald.jobs.JobState;
import dev.herald.jobs.QueueCounts;
import dev.herald.jobs.QueueName;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueWatchOption;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Reading and moving job documents between the jobs bucket (unfinished jobs) and the done bucket (finished
 * ones, forgotten after the retention). A document is looked up in the jobs bucket first: a finished job
 * whose move did not complete is still found there, and a retried dead job is found there before its
 * old entry in the done bucket is gone.
 */
final class JobDocs {

    private static final Logger LOG = Logger.getLogger(JobDocs.class);
    /** A document as read, with the revision a compare-and-set names, and whether it came from the done bucket. */
    record Stored(NatsJob job, long revision, boolean finished) {
    }

    private final JobSpace space;
    private final Duration timeout;

    JobDocs(JobSpace space, Duration timeout) {
        this.space = space;
        this.timeout = timeout;
    }

    Stored find(String id) throws IOException, JetStreamApiException {
        String key = JobSpace.jobKey(id);
        KeyValueEntry e = space.jobs().get(key);
        if (e != null && e.getValue() != null) {
            return new Stored(NatsJob.parse(e.getValue()), e.getRevision(), false);
        }
        e = space.done().get(key);
        if (e != null && e.getValue() != null) {
            return new Stored(NatsJob.parse(e.getValue()), e.getRevision(), true);
        }
        return null;
    }

    /** Compare-and-set of a job's document: its new revision, or -1 when it changed since {@code revision}. */
    long update(NatsJob job, long revision) throws IOException, JetStreamApiException {
        return space.swapJob(JobSpace.jobKey(job.id), job.toBytes(), revision, "");
    }

    /** Inserts a new job's document unless there is one: its revision, or -1. */
    long create(NatsJob job) throws IOException, JetStreamApiException {
        return space.swapJob(JobSpace.jobKey(job.id), job.toBytes(), 0, "");
    }

    /**
     * Inserts the document of a finished job taken back from the done bucket, where it was at
     * {@code doneRevision}, unless the jobs bucket has one: its revision, or -1. Two retries of that same
     * finished version are rivals; a retry of a later one (the job ran and finished again) is not.
     */
    long recreate(NatsJob job, long doneRevision) throws IOException, JetStreamApiException {
        return space.swapJob(JobSpace.jobKey(job.id), job.toBytes(), 0, "/" + doneRevision);
    }

    /**
     * Moves a finished job (at {@code revision} in the jobs bucket) to the done bucket. Best effort: a job
     * whose move fails stays, finished, in the jobs bucket, where it is read as well (and not forgotten).
     */
    void moveToDone(NatsJob job, long revision) {
        String key = JobSpace.jobKey(job.id);
        try {
            space.done().put(key, job.toBytes());
            space.forget(job.id, revision);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("finished job %s stays in the jobs bucket: %s", job.id, e.getMessage());
        }
    }

    /** Forgets a retried job's old entry in the done bucket (best effort: the jobs bucket's entry wins). */
    void forgetDone(String id) {
        try {
            space.done().purge(JobSpace.jobKey(id));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.debugf("old entry of retried job %s stays in the done bucket: %s", id, e.getMessage());
        }
    }

    /**
     * Every retained job of the queue, unfinished and finished, one document per job (the jobs bucket's when
     * both have one). Reads every entry whose key carries the queue's tag: the cost grows with the queue.
     */
    List<Stored> all(QueueName queue) throws IOException, JetStreamApiException {
        Map<String, Stored> byId = new HashMap<>();
        for (Stored s : scan(space.done(), queue, true)) {
            byId.put(s.job().id, s);
        }
        for (Stored s : scan(space.jobs(), queue, false)) {
            byId.put(s.job().id, s);
        }
        return new ArrayList<>(byId.values());
    }

    /** The queue's jobs by status, from every retained document of the queue. */
    QueueCounts counts(QueueName queue) throws IOException, JetStreamApiException {
        long now = System.currentTimeMillis();
        long[] by = new long[JobState.values().length];
        long oldest = 0;
        for (Stored s : all(queue)) {
            JobState state = s.job().state();
            by[state.ordinal()]++;
            if (state == JobState.QUEUED) {
                oldest = Math.max(oldest, now - s.job().queuedAt);
            }
        }
        return new QueueCounts(queue, by[JobState.QUEUED.ordinal()], by[JobState.DELAYED.ordinal()],
                by[JobState.ACTIVE.ordinal()], by[JobState.SUCCEEDED.ordinal()], by[JobState.FAILED.ordinal()],
                by[JobState.DEAD.ordinal()], oldest);
    }

    /** The queue's dead jobs, most recently dead first. */
    List<Stored> dead(QueueName queue, int limit) throws IOException, JetStreamApiException {
        return all(queue).stream().filter(s -> s.job().state() == JobState.DEAD)
                .sorted(Comparator.comparingLong((Stored s) -> s.job().updatedAt)
                        .thenComparingLong(Stored::revision).reversed())
                .limit(limit).toList();
    }

    private List<Stored> scan(KeyValue kv, QueueName queue, boolean finished) throws IOException, JetStreamApiException {
        List<Stored> out = new ArrayList<>();
        CompletableFuture<Void> end = new CompletableFuture<>();
        KeyValueWatcher watcher = new KeyValueWatcher() {
            @Override
            public void watch(KeyValueEntry entry) {
                if (end.isDone() || entry.getValue() == null || entry.getValue().length == 0) {
                    return;
                }
                try {
                    NatsJob job = NatsJob.parse(entry.getValue());
                    if (queue.name().equals(job.queue)) {
                        synchronized (out) {
                            out.add(new Stored(job, entry.getRevision(), finished));
                        }
                    }
                } catch (RuntimeException unreadable) {
                    LOG.debugf("unreadable job document %s skipped", new String(entry.getKey().getBytes(), StandardCharsets.UTF_8));
                }
            }

            @Override
            public void endOfData() {
                end.complete(null);
            }
        };
        NatsKeyValueWatchSubscription sub;
        try {
            sub = kv.watch(JobSpace.jobKeys(queue), watcher, KeyValueWatchOption.IGNORE_DELETE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        try {
            end.get(timeout.toMillis() * 6, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the jobs of " + queue + " were not read in time", e);
        } finally {
            sub.unsubscribe();
        }
        synchronized (out) {
            return new ArrayList<>(out);
        }
    }
}
