package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.herald.event.Cursor;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.event.TraceParent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A client's WebSocket message (README, "WebSocket (`/v1/ws`)"), parsed and validated. */
sealed interface WsRequest {

    /** The client's {@code ref}, as JSON to echo back (a string or a number), or null. */
    String ref();

    record Auth(String token, String ref) implements WsRequest {
    }

    record Subscribe(List<Topic> topics, String cursor, boolean presence, String ref) implements WsRequest {
    }

    record Unsubscribe(List<Topic> topics, String ref) implements WsRequest {
    }

    /** {@code event} holds the {@code type} and {@code data} fields, checked by the publish parser. */
    record Publish(Topic topic, JsonNode event, String idempotencyKey, String traceparent, String ref) implements WsRequest {
    }

    record Ping(String ref) implements WsRequest {
    }

    /** A worker op ({@code consume}, {@code cancel}, {@code progress}, {@code ack}, {@code nack}): {@link WsWorker}. */
    record Job(String op, JsonNode message, String ref) implements WsRequest {
    }

    /** A message that cannot be served; {@code code} gives the error frame's code. */
    final class Refused extends RuntimeException {
        final ErrorCode code;
        final String ref;

        Refused(ErrorCode code, String message, String ref) {
            super(message, null, false, false);
            this.code = code;
            this.ref = ref;
        }
    }

    /** Parses one text message. */
    final class Parser {

        private static final Map<String, Set<String>> FIELDS = Map.of(
                "auth", Set.of("op", "token", "ref"),
                "subscribe", Set.of("op", "topics", "cursor", "presence", "ref"),
                "unsubscribe", Set.of("op", "topics", "ref"),
                "publish", Set.of("op", "topic", "type", "data", "idempotencyKey", "traceparent", "ref"),
                "ping", Set.of("op", "ref"),
                "consume", Set.of("op", "queue", "prefetch", "visibility", "ref"),
                "cancel", Set.of("op", "queue", "ref"),
                "progress", Set.of("op", "id", "lease", "progress", "message", "data", "ref"),
                "ack", Set.of("op", "id", "lease", "result", "ref"),
                "nack", Set.of("op", "id", "lease", "error", "retry", "delay", "ref"));
        private static final int MAX_REF_LENGTH = 64;
        private static final int MAX_TOKEN_LENGTH = 16 * 1024;

        private final ObjectReader reader;
        private final ObjectMapper mapper;
        private final int maxTopics;

        Parser(ObjectMapper mapper, int maxTopics) {
            this.mapper = mapper;
            // Trailing content and a field named twice ({"op":"ping","op":"publish",...}) are malformed, as
            // for the HTTP publish: a message that parses differently in a proxy and here (first key wins
            // there, last here) is a smuggling vector.
            this.reader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
            this.maxTopics = maxTopics;
        }

        WsRequest parse(String text) {
            JsonNode root;
            try {
                root = reader.readTree(text);
            } catch (JsonProcessingException e) {
                String message = e.getOriginalMessage();
                if (message != null && message.startsWith("Duplicate field")) {
                    throw new Refused(ErrorCode.INVALID_INPUT, "the message names a field twice", null);
                }
                throw new Refused(ErrorCode.INVALID_INPUT, "the message is not valid JSON", null);
            }
            if (root == null || !root.isObject()) {
                throw new Refused(ErrorCode.INVALID_INPUT, "a message is a JSON object", null);
            }
            String ref = ref(root.get("ref"));
            JsonNode op = root.get("op");
            if (op == null || !op.isTextual()) {
                throw new Refused(ErrorCode.INVALID_INPUT, "'op' is required: auth, subscribe, unsubscribe, publish, ping, or a "
                        + "worker's consume, cancel, progress, ack, nack", ref);
            }
            Set<String> allowed = FIELDS.get(op.asText());
            if (allowed == null) {
                throw new Refused(ErrorCode.UNKNOWN_OP, "unknown op; use auth, subscribe, unsubscribe, publish, ping, or a "
                        + "worker's consume, cancel, progress, ack, nack", ref);
            }
            for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
                if (!allowed.contains(names.next())) {
                    throw new Refused(ErrorCode.INVALID_INPUT, "unknown field for op '" + op.asText() + "'; allowed: " + allowed, ref);
                }
            }
            try {
                return switch (op.asText()) {
                    case "auth" -> new Auth(text(root, "token", MAX_TOKEN_LENGTH, true), ref);
                    case "subscribe" -> new Subscribe(topics(root), text(root, "cursor", Cursor.MAX_ENCODED_LENGTH, false),
                            bool(root, "presence"), ref);
                    case "unsubscribe" -> new Unsubscribe(topics(root), ref);
                    case "publish" -> publish(root, ref);
                    case "ping" -> new Ping(ref);
                    default -> new Job(op.asText(), root, ref);
                };
            } catch (InvalidInputException e) {
                throw new Refused(ErrorCode.INVALID_INPUT, e.getMessage(), ref);
            }
        }

        private WsRequest publish(JsonNode root, String ref) {
            JsonNode topic = root.get("topic");
            if (topic == null || !topic.isTextual()) {
                throw new InvalidInputException("'topic' is required and must be a string");
            }
            var event = mapper.createObjectNode();
            if (root.has("type")) {
                event.set("type", root.get("type"));
            }
            if (root.has("data")) {
                event.set("data", root.get("data"));
            }
            // An invalid traceparent is ignored, as W3C Trace Context asks of a receiver.
            return new Publish(Topic.of(topic.asText()), event, text(root, "idempotencyKey", 128, false),
                    TraceParent.orNull(text(root, "traceparent", 256, false)), ref);
        }

        private List<Topic> topics(JsonNode root) {
            JsonNode topics = root.get("topics");
            if (topics == null || !topics.isArray() || topics.isEmpty()) {
                throw new InvalidInputException("'topics' must be a non-empty array of topic names");
            }
            List<String> names = new ArrayList<>(topics.size());
            for (JsonNode t : topics) {
                if (!t.isTextual()) {
                    throw new InvalidInputException("'topics' must hold strings");
                }
                names.add(t.asText());
            }
            return Topic.listOf(names, maxTopics);
        }

        private static String text(JsonNode root, String field, int maxLength, boolean required) {
            JsonNode node = root.get(field);
            if (node == null || node.isNull()) {
                if (required) {
                    throw new InvalidInputException("'" + field + "' is required");
                }
                return null;
            }
            if (!node.isTextual() || node.asText().isEmpty() || node.asText().length() > maxLength) {
                throw new InvalidInputException("'" + field + "' must be a string of 1 to " + maxLength + " characters");
            }
            return node.asText();
        }

        private static boolean bool(JsonNode root, String field) {
            JsonNode node = root.get(field);
            if (node == null || node.isNull()) {
                return false;
            }
            if (!node.isBoolean()) {
                throw new InvalidInputException("'" + field + "' must be true or false");
            }
            return node.asBoolean();
        }

        /** A usable ref (a short string or an integer) as JSON; anything else is not echoed. */
        private static String ref(JsonNode ref) {
            if (ref == null) {
                return null;
            }
            if (ref.isTextual() && ref.asText().length() <= MAX_REF_LENGTH) {
                return ref.toString();
            }
            if (ref.isIntegralNumber() && ref.canConvertToLong()) {
                return ref.toString();
            }
            return null;
        }
    }
}
