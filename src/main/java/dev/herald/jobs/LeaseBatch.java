package dev.herald.jobs;

import java.util.List;

/**
 * What one lease call did.
 *
 * @param jobs        the jobs leased, at most the request's max
 * @param expired     jobs whose lease had expired and that had no attempt left: now dead
 * @param redelivered how many of {@code jobs} were leased again after an expired lease
 * @param nextDueAt   when the next delayed or failed job of the queue is due (epoch ms), or 0 when none
 */
public record LeaseBatch(List<LeasedJob> jobs, List<JobStatus> expired, int redelivered, long nextDueAt) {

    public LeaseBatch {
        jobs = List.copyOf(jobs);
        expired = List.copyOf(expired);
    }
}
