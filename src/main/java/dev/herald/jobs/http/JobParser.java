package dev.herald.jobs.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.PayloadTooLargeException;
import dev.herald.event.InvalidInputException;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.Nack;
import dev.herald.jobs.QueueName;
import dev.herald.publish.PublishParser;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Turns job request bodies into requests, enforcing every rule before anything is stored: JSON object
 * shape, known fields only, types, ranges, data size ({@code herald.publish.max-data-bytes}, as for
 * events: job data and results travel in lifecycle events) and batch size.
 */
public final class JobParser {

    /** What a worker reports: progress, ack or nack. */
    public record Report(String lease, int progress, String message, String data, String result, Nack nack) {
    }

    static final int MAX_ATTEMPTS = 100;
    static final int MAX_MESSAGE_LENGTH = 4096;
    static final Duration MAX_DELAY = Duration.ofDays(30);
    private static final Set<String> ENQUEUE_FIELDS = Set.of("type", "data", "maxAttempts", "delay", "timeout");
    private static final Set<String> BATCH_FIELDS =
            Set.of("queue", "type", "data", "maxAttempts", "delay", "timeout", "idempotencyKey");
    private static final Set<String> PROGRESS_FIELDS = Set.of("lease", "progress", "message", "data");
    private static final Set<String> ACK_FIELDS = Set.of("lease", "result");
    private static final Set<String> BATCH_ACK_FIELDS = Set.of("id", "lease", "result");
    private static final Set<String> NACK_FIELDS = Set.of("lease", "error", "retry", "delay");

    private final PublishParser json;
    private final int defaultMaxAttempts;
    private final int maxBatch;

    public JobParser(PublishParser json, int defaultMaxAttempts, int maxBatch) {
        this.json = json;
        this.defaultMaxAttempts = defaultMaxAttempts;
        this.maxBatch = maxBatch;
    }

    EnqueueRequest enqueue(Buffer body, QueueName queue, String key, String owner) {
        return enqueue(json.parseObject(body), ENQUEUE_FIELDS, queue, key, owner);
    }

    private EnqueueRequest enqueue(JsonNode job, Set<String> allowed, QueueName queue, String key, String owner) {
        known(job, allowed);
        JsonNode type = job.get("type");
        if (type != null && !type.isNull() && !type.isTextual()) {
            throw new InvalidInputException("'type' must be a string");
        }
        JsonNode data = job.get("data");
        String compact = data == null ? "null" : json.compactData(data, "data");
        int attempts = job.has("maxAttempts") ? integer(job, "maxAttempts", 1, MAX_ATTEMPTS) : defaultMaxAttempts;
        Duration delay = seconds(job, "delay", Duration.ZERO, MAX_DELAY);
        Duration timeout = job.has("timeout") ? seconds(job, "timeout", Duration.ofMillis(1), JobPolicy.MAX_VISIBILITY)
                : null;
        return new EnqueueRequest(queue, type == null || type.isNull() ? "job" : type.asText(), compact, key, delay,
                attempts, timeout, owner);
    }

    List<EnqueueRequest> batch(Buffer body, String owner) {
        JsonNode root = json.parseObject(body);
        known(root, Set.of("jobs"));
        JsonNode jobs = root.get("jobs");
        if (jobs == null || !jobs.isArray() || jobs.isEmpty()) {
            throw new InvalidInputException("'jobs' must be a non-empty array");
        }
        if (jobs.size() > maxBatch) {
            throw new PayloadTooLargeException("a batch holds at most " + maxBatch + " jobs, got " + jobs.size());
        }
        List<EnqueueRequest> requests = new ArrayList<>(jobs.size());
        int i = 0;
        for (JsonNode job : jobs) {
            try {
                if (!job.isObject()) {
                    throw new InvalidInputException("must be a JSON object");
                }
                JsonNode queue = job.get("queue");
                if (queue == null || !queue.isTextual()) {
                    throw new InvalidInputException("'queue' is required and must be a string");
                }
                JsonNode key = job.get("idempotencyKey");
                if (key != null && !key.isNull() && !key.isTextual()) {
                    throw new InvalidInputException("'idempotencyKey' must be a string");
                }
                requests.add(enqueue(job, BATCH_FIELDS, QueueName.of(queue.asText()),
                        PublishParser.checkKey(key == null || key.isNull() ? null : key.asText()), owner));
            } catch (InvalidInputException e) {
                throw new InvalidInputException("jobs[" + i + "]: " + e.getMessage());
            } catch (PayloadTooLargeException e) {
                throw new PayloadTooLargeException("jobs[" + i + "]: " + e.getMessage());
            }
            i++;
        }
        return requests;
    }

    Report progress(Buffer body) {
        JsonNode report = json.parseObject(body);
        known(report, PROGRESS_FIELDS);
        return progress(report);
    }

    /** A progress report from a message whose fields were checked already (a WebSocket op). */
    public Report progress(JsonNode report) {
        JsonNode data = report.get("data");
        return new Report(lease(report), integer(report, "progress", 0, 100), text(report, "message", false),
                data == null || data.isNull() ? null : json.compactData(data, "data"), null, null);
    }

    Report ack(Buffer body) {
        JsonNode report = json.parseObject(body);
        known(report, ACK_FIELDS);
        return ack(report);
    }

    /** One job's ack in a batch. */
    record Ack(String id, Report report) {
    }

    /** {@code {"acks":[{"id","lease","result"?}…]}}, at most the batch size; one malformed ack refuses all. */
    List<Ack> acks(Buffer body) {
        JsonNode root = json.parseObject(body);
        known(root, Set.of("acks"));
        JsonNode acks = root.get("acks");
        if (acks == null || !acks.isArray() || acks.isEmpty()) {
            throw new InvalidInputException("'acks' must be a non-empty array");
        }
        if (acks.size() > maxBatch) {
            throw new PayloadTooLargeException("a batch holds at most " + maxBatch + " acks, got " + acks.size());
        }
        List<Ack> out = new ArrayList<>(acks.size());
        for (JsonNode ack : acks) {
            try {
                if (!ack.isObject()) {
                    throw new InvalidInputException("must be a JSON object");
                }
                known(ack, BATCH_ACK_FIELDS);
                out.add(new Ack(JobIds.require(text(ack, "id", true)), ack(ack)));
            } catch (InvalidInputException e) {
                throw new InvalidInputException("acks[" + out.size() + "]: " + e.getMessage());
            } catch (PayloadTooLargeException e) {
                throw new PayloadTooLargeException("acks[" + out.size() + "]: " + e.getMessage());
            }
        }
        return out;
    }

    /** An ack from a message whose fields were checked already. */
    public Report ack(JsonNode report) {
        JsonNode result = report.get("result");
        return new Report(lease(report), 100, null, null,
                result == null || result.isNull() ? null : json.compactData(result, "result"), null);
    }

    Report nack(Buffer body) {
        JsonNode report = json.parseObject(body);
        known(report, NACK_FIELDS);
        return nack(report);
    }

    /** A nack from a message whose fields were checked already. */
    public Report nack(JsonNode report) {
        JsonNode retry = report.get("retry");
        if (retry != null && !retry.isBoolean()) {
            throw new InvalidInputException("'retry' must be true or false");
        }
        Duration delay = report.has("delay") ? seconds(report, "delay", Duration.ZERO, MAX_DELAY) : null;
        Nack nack = new Nack(text(report, "error", true), retry == null || retry.asBoolean(), delay);
        return new Report(lease(report), 0, null, null, null, nack);
    }

    private static String lease(JsonNode report) {
        String lease = text(report, "lease", true);
        if (lease.length() != 32 || !lease.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new InvalidInputException("'lease' is not a lease token");
        }
        return lease;
    }

    private static void known(JsonNode object, Set<String> allowed) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new InvalidInputException("unknown field '" + name.substring(0, Math.min(40, name.length()))
                        .replaceAll("\\p{Cntrl}", "?") + "'; allowed: " + allowed);
            }
        }
    }

    public static String text(JsonNode object, String field, boolean required) {
        JsonNode node = object.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new InvalidInputException("'" + field + "' is required");
            }
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidInputException("'" + field + "' must be a string");
        }
        String value = node.asText();
        if (value.length() > MAX_MESSAGE_LENGTH) {
            throw new PayloadTooLargeException("'" + field + "' has more than " + MAX_MESSAGE_LENGTH + " characters");
        }
        return value;
    }

    public static int integer(JsonNode object, String field, int min, int max) {
        JsonNode node = object.get(field);
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < min
                || node.asInt() > max) {
            throw new InvalidInputException("'" + field + "' must be an integer from " + min + " to " + max);
        }
        return node.asInt();
    }

    /** A number of seconds (fractions allowed, to the millisecond) within bounds. */
    public static Duration seconds(JsonNode object, String field, Duration min, Duration max) {
        JsonNode node = object.get(field);
        if (node == null) {
            return min;
        }
        if (!node.isNumber()) {
            throw new InvalidInputException("'" + field + "' must be a number of seconds");
        }
        double seconds = node.asDouble();
        if (!(seconds * 1000 >= min.toMillis()) || seconds * 1000 > max.toMillis()) {
            throw new InvalidInputException("'" + field + "' must be from " + min.toMillis() / 1000.0 + " to "
                    + max.toSeconds() + " seconds");
        }
        return Duration.ofMillis(Math.round(seconds * 1000));
    }
}
