package dev.herald.jobs;

import dev.herald.event.InvalidInputException;
import dev.herald.event.TopicPattern;
import java.util.ArrayList;
import java.util.List;

/**
 * The queues whose jobs announce no lifecycle ({@code herald.jobs.quiet-queues}, queue patterns in the
 * topic-pattern syntax: {@code thumbnails}, {@code import:*}, {@code *}). A quiet queue's jobs run exactly as
 * any others (leases, acks, retries, status, counts); only no {@code job.*} event is published on their
 * topics, which saves the broker an append per transition: for queues whose jobs nobody follows live.
 *
 * <p>Every node must be given the same list. The Redis store on a single Redis decides once per job, at
 * enqueue (the job's hash keeps it); the other stores and the node decide at each transition.
 */
public record QuietQueues(List<TopicPattern> patterns) {

    public static final QuietQueues NONE = new QuietQueues(List.of());

    public QuietQueues {
        patterns = List.copyOf(patterns);
    }

    /** From the setting's patterns; an invalid one is a startup error naming the setting. */
    public static QuietQueues of(List<String> patterns) {
        List<TopicPattern> parsed = new ArrayList<>();
        for (String pattern : patterns) {
            try {
                parsed.add(TopicPattern.of(pattern.strip()));
            } catch (InvalidInputException e) {
                throw new IllegalStateException("herald.jobs.quiet-queues: " + e.getMessage(), e);
            }
        }
        return new QuietQueues(parsed);
    }

    /** True when {@code queue}'s jobs publish no lifecycle events. */
    public boolean contains(QueueName queue) {
        for (TopicPattern pattern : patterns) {
            if (pattern.matchesName(queue.name())) {
                return true;
            }
        }
        return false;
    }
}
