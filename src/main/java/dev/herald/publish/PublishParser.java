package dev.herald.publish;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.herald.api.PayloadTooLargeException;
import dev.herald.broker.PublishRequest;
import dev.herald.config.HeraldConfig;
import dev.herald.event.Event;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Turns publish bodies into {@link PublishRequest}s, enforcing every rule before anything is
 * published: JSON object shape, known fields only, type rules, data size, batch size, key format.
 * {@code data} is re-serialized compactly, so no raw line break from the client survives (the SSE
 * framing relies on it).
 */
public final class PublishParser {

    private static final Set<String> SINGLE_FIELDS = Set.of("type", "data");
    private static final Set<String> BATCH_FIELDS = Set.of("topic", "type", "data", "idempotencyKey");
    static final int MAX_KEY_LENGTH = 128;

    private final ObjectMapper mapper;
    private final ObjectReader reader;
    private final HeraldConfig.Publish limits;

    public PublishParser(ObjectMapper mapper, HeraldConfig.Publish limits) {
        this.mapper = mapper;
        this.limits = limits;
        // Trailing content after the object ({"data":1}} or two objects back to back) is malformed, not
        // ignored, and so is a field named twice: a body that a proxy or WAF in front of us reads
        // differently (first value, or first of two keys, wins there) is a smuggling vector.
        this.reader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    /** The body as one JSON object: strict (no trailing content, no field named twice), else 400. */
    public JsonNode parseObject(Buffer body) {
        byte[] bytes = body.getBytes();
        if (isBlank(bytes)) {
            throw new InvalidInputException("the request body is empty: send a JSON object");
        }
        JsonNode root;
        try {
            root = reader.readTree(bytes);
        } catch (JsonParseException e) {
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field")) {
                throw new InvalidInputException("the request body names a field twice");
            }
            throw new InvalidInputException("the request body is not valid JSON");
        } catch (IOException e) {
            throw new InvalidInputException("the request body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("the request body must be a JSON object");
        }
        return root;
    }

    public PublishRequest toRequest(Topic topic, JsonNode event, String idempotencyKey, boolean batch) {
        Set<String> allowed = batch ? BATCH_FIELDS : SINGLE_FIELDS;
        for (Iterator<String> names = event.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new InvalidInputException("unknown field '" + name.substring(0, Math.min(40, name.length()))
                        .replaceAll("\\p{Cntrl}", "?") + "'; allowed: " + allowed);
            }
        }
        JsonNode typeNode = event.get("type");
        String type;
        if (typeNode == null || typeNode.isNull()) {
            type = Event.DEFAULT_TYPE;
        } else if (typeNode.isTextual()) {
            type = Event.requirePublishableType(typeNode.asText());
        } else {
            throw new InvalidInputException("'type' must be a string");
        }
        JsonNode data = event.get("data");
        if (data == null) {
            throw new InvalidInputException("'data' is required (any JSON value, null included)");
        }
        String compact = compactData(data, "data");
        return new PublishRequest(topic, type, compact, idempotencyKey);
    }

    /**
     * A JSON value as compact JSON (no raw line break survives), checked for well-formed Unicode and for
     * {@code herald.publish.max-data-bytes}; {@code field} names it in errors.
     */
    public String compactData(JsonNode data, String field) {
        String compact;
        try {
            compact = mapper.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("'" + field + "' cannot be serialized");
        }
        requireWellFormedUnicode(compact);
        int bytes = compact.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxDataBytes()) {
            throw new PayloadTooLargeException("'" + field + "' is " + bytes + " bytes; the limit is "
                    + limits.maxDataBytes());
        }
        return compact;
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    List<PublishRequest> parseBatch(Buffer body) {
        JsonNode root = parseObject(body);
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("events")) {
                throw new InvalidInputException("unknown field in batch; allowed: [events]");
            }
        }
        JsonNode events = root.get("events");
        if (events == null || !events.isArray()) {
            throw new InvalidInputException("'events' must be an array");
        }
        if (events.isEmpty()) {
            throw new InvalidInputException("'events' is empty");
        }
        if (events.size() > limits.maxBatchSize()) {
            throw new PayloadTooLargeException("a batch holds at most " + limits.maxBatchSize() + " events, got "
                    + events.size());
        }
        List<PublishRequest> requests = new ArrayList<>(events.size());
        int i = 0;
        for (JsonNode event : events) {
            try {
                if (!event.isObject()) {
                    throw new InvalidInputException("must be a JSON object");
                }
                JsonNode topic = event.get("topic");
                if (topic == null || !topic.isTextual()) {
                    throw new InvalidInputException("'topic' is required and must be a string");
                }
                JsonNode key = event.get("idempotencyKey");
                if (key != null && !key.isNull() && !key.isTextual()) {
                    throw new InvalidInputException("'idempotencyKey' must be a string");
                }
                requests.add(toRequest(Topic.of(topic.asText()), event,
                        checkKey(key == null || key.isNull() ? null : key.asText()), true));
            } catch (InvalidInputException e) {
                throw new InvalidInputException("events[" + i + "]: " + e.getMessage());
            } catch (PayloadTooLargeException e) {
                throw new PayloadTooLargeException("events[" + i + "]: " + e.getMessage());
            }
            i++;
        }
        return requests;
    }

    /**
     * A JSON escape can name half of a surrogate pair ({@code "\\ud800"}); such a string has no UTF-8 form,
     * and stored it would silently become {@code ?}. Refused instead.
     */
    private static void requireWellFormedUnicode(String json) {
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < json.length() && Character.isLowSurrogate(json.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidInputException("'data' holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text");
            }
        }
    }

    /** An idempotency key is 1–128 visible ASCII characters; null stays null. */
    public static String checkKey(String key) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            throw new InvalidInputException("an idempotency key has 1 to 128 characters");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new InvalidInputException("an idempotency key has visible ASCII characters only");
            }
        }
        return key;
    }
}
