package dev.herald.jobs.http;

import dev.herald.event.Json;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.QueueCounts;
import dev.herald.jobs.QueueName;
import java.util.List;
import java.util.function.Predicate;

/**
 * The jobs API's answers, written by hand: ids, queue names and types carry no character JSON would
 * escape, and data and results are stored as compact JSON and embedded as they are.
 */
public final class JobJson {

    private JobJson() {
    }

    /** An enqueue's answer; {@code topic} is null for a job of a queue whose jobs announce nothing. */
    static String enqueued(Enqueued e, Predicate<QueueName> announces) {
        JobStatus s = e.status();
        String topic = announces.test(s.queue()) ? "\"" + JobIds.topic(s.id()).name() + "\"" : "null";
        return "{\"id\":\"" + s.id() + "\",\"queue\":\"" + s.queue().name() + "\",\"topic\":" + topic
                + ",\"status\":\"" + s.state().wire() + "\",\"duplicate\":" + e.duplicate() + "}";
    }

    static String batch(List<Enqueued> results, Predicate<QueueName> announces) {
        StringBuilder b = new StringBuilder("{\"results\":[");
        for (int i = 0; i < results.size(); i++) {
            b.append(i == 0 ? "" : ",").append(enqueued(results.get(i), announces));
        }
        return b.append("]}").toString();
    }

    static String leased(List<LeasedJob> jobs) {
        StringBuilder b = new StringBuilder("{\"jobs\":[");
        for (int i = 0; i < jobs.size(); i++) {
            b.append(i == 0 ? "" : ",").append(leased(jobs.get(i)));
        }
        return b.append("]}").toString();
    }

    /**
     * One leased job as a worker gets it: {@code {"id","queue","type","data","attempt","maxAttempts","lease",
     * "leaseUntil"}}, and {@code "traceparent"} for a traced job (the worker's spans continue it).
     */
    public static String leased(LeasedJob j) {
        JobStatus s = j.status();
        StringBuilder b = new StringBuilder(256);
        b.append("{\"id\":\"").append(s.id())
                .append("\",\"queue\":\"").append(s.queue().name())
                .append("\",\"type\":\"").append(s.type())
                .append("\",\"data\":").append(j.data())
                .append(",\"attempt\":").append(s.attempt())
                .append(",\"maxAttempts\":").append(s.maxAttempts())
                .append(",\"lease\":\"").append(j.lease())
                .append("\",\"leaseUntil\":").append(j.leaseUntil());
        if (s.trace() != null) {
            b.append(",\"traceparent\":\"").append(s.trace()).append('"');
        }
        return b.append('}').toString();
    }

    static String statuses(List<JobStatus> jobs) {
        StringBuilder b = new StringBuilder("{\"jobs\":[");
        for (int i = 0; i < jobs.size(); i++) {
            b.append(i == 0 ? "" : ",").append(jobs.get(i).toJson());
        }
        return b.append("]}").toString();
    }

    static String counts(QueueCounts c, int waitingWorkers) {
        return "{\"queue\":" + Json.quote(c.queue().name()) + ",\"queued\":" + c.queued() + ",\"delayed\":"
                + c.delayed() + ",\"active\":" + c.active() + ",\"succeeded\":" + c.succeeded() + ",\"failed\":"
                + c.failed() + ",\"dead\":" + c.dead() + ",\"oldestWaitingMillis\":" + c.oldestWaitingMillis()
                + ",\"waitingWorkers\":" + waitingWorkers + "}";
    }
}
