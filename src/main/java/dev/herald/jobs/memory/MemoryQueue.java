package dev.herald.jobs.memory;

import dev.herald.jobs.JobState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** One queue of a {@link MemoryJobStore}, guarded by the store's lock. */
final class MemoryQueue {

    /** A job waiting for a time: its start (delayed), its retry (failed) or its lease's end (active). */
    record Timed(long at, String id, String lease) {
    }

    /** Queued jobs, oldest first. */
    final ArrayDeque<String> ready = new ArrayDeque<>();
    /** Delayed and failed jobs with the time they are due. */
    final List<Timed> due = new ArrayList<>();
    /** Leases with the time they end; a lease extended by progress is added again (the old entry is skipped). */
    final List<Timed> leases = new ArrayList<>();
    /** Dead jobs, newest first. */
    final ArrayDeque<String> dead = new ArrayDeque<>();
    /** Idempotency keys: the job id, until the time the key is forgotten. */
    final Map<String, Timed> keys = new HashMap<>();

    void ready(MemoryJob job, long now) {
        job.state = JobState.QUEUED;
        job.nextRunAt = 0;
        job.queuedAt = now;
        job.updatedAt = now;
        ready.addLast(job.id);
    }

    /** Queues the delayed and failed jobs that are due. */
    void promoteDue(Map<String, MemoryJob> jobs, long now) {
        for (Iterator<Timed> it = due.iterator(); it.hasNext(); ) {
            Timed t = it.next();
            if (t.at() <= now) {
                it.remove();
                MemoryJob job = jobs.get(t.id());
                if (job != null && (job.state == JobState.DELAYED || job.state == JobState.FAILED)) {
                    ready(job, now);
                }
            }
        }
    }
}
