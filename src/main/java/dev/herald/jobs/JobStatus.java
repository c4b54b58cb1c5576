package dev.herald.jobs;

import dev.herald.event.Json;
import dev.herald.event.TraceParent;

/**
 * A job's status document: what {@code GET /v1/jobs/{id}} answers and what every lifecycle event on
 * {@code job:<id>} carries as its data, so the last event alone tells where the job stands.
 *
 * @param result          the acknowledgement's result, compact JSON, or null
 * @param error           the last failure's message, or null
 * @param progressMessage the last progress report's message, or null
 * @param progressData    the last progress report's data, compact JSON, or null
 * @param nextRunAt       when a delayed or failed job is queued (epoch ms), or 0
 * @param startedAt       when the current or last attempt's lease began (epoch ms), or 0 before the first
 * @param owner           the subject that enqueued the job (never in the document; it may read the job)
 * @param trace           the traceparent of the job's enqueue span, or null (untraced); not in the document:
 *                        its lifecycle events carry it as theirs, and leased jobs hand it to workers
 */
public record JobStatus(String id, QueueName queue, String type, JobState state, int attempt, int maxAttempts,
                        int progress, String progressMessage, String progressData, String result, String error,
                        long createdAt, long updatedAt, long nextRunAt, long startedAt, String owner, String trace) {

    public JobStatus {
        trace = TraceParent.orNull(trace);
    }

    /** An untraced job's status. */
    public JobStatus(String id, QueueName queue, String type, JobState state, int attempt, int maxAttempts,
                     int progress, String progressMessage, String progressData, String result, String error,
                     long createdAt, long updatedAt, long nextRunAt, long startedAt, String owner) {
        this(id, queue, type, state, attempt, maxAttempts, progress, progressMessage, progressData, result, error,
                createdAt, updatedAt, nextRunAt, startedAt, owner, null);
    }

    /** The document as JSON; {@code result} and {@code progressData} are embedded as the JSON they are. */
    public String toJson() {
        StringBuilder b = new StringBuilder(256)
                .append("{\"id\":\"").append(id)
                .append("\",\"queue\":\"").append(queue.name())
                .append("\",\"type\":\"").append(type)
                .append("\",\"status\":\"").append(state.wire())
                .append("\",\"attempt\":").append(attempt)
                .append(",\"maxAttempts\":").append(maxAttempts)
                .append(",\"progress\":").append(progress);
        if (progressMessage != null) {
            b.append(",\"progressMessage\":").append(Json.quote(progressMessage));
        }
        if (progressData != null) {
            b.append(",\"progressData\":").append(progressData);
        }
        b.append(",\"result\":").append(result == null ? "null" : result)
                .append(",\"error\":").append(error == null ? "null" : Json.quote(error))
                .append(",\"createdAt\":").append(createdAt)
                .append(",\"updatedAt\":").append(updatedAt)
                .append(",\"nextRunAt\":").append(nextRunAt == 0 ? "null" : String.valueOf(nextRunAt))
                .append(",\"startedAt\":").append(startedAt == 0 ? "null" : String.valueOf(startedAt));
        return b.append('}').toString();
    }
}
