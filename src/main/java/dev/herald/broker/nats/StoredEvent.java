package dev.herald.broker.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * One event as NATS holds it: the stream sequence is its id ({@code 0-<seq>}: strictly increasing per
 * topic, since it is per stream, and the same on every node), and headers carry what the envelope and
 * the retention need.
 *
 * <ul>
 *   <li>{@code Herald-Type}, {@code Herald-Ts}: the event's type and publish time.</li>
 *   <li>{@code Nats-Expected-Last-Subject-Sequence}: the sequence of the topic's previous event. The
 *   publisher sets it and NATS refuses the publish unless it is exactly the topic's last sequence, so
 *   every stored event names its predecessor: a reader sees whether events between two positions are
 *   missing (trimmed), and a live subscriber whether it missed one.</li>
 *   <li>{@code Herald-Cum}: the bytes of all the topic's events up to this one, counted the way the
 *   per-topic byte bound counts them ({@link #cost}), so the bound is applied on reading.</li>
 *   <li>{@code traceparent}: the publish span's W3C trace context, on traced events only (the header name
 *   OpenTelemetry's NATS instrumentations use).</li>
 * </ul>
 *
 * @param seq  stream sequence
 * @param prev sequence of the topic's previous event (0: none was held when this one was stored)
 * @param cum  bytes of the topic's events up to and including this one
 */
record StoredEvent(long seq, long prev, long cum, String type, long ts, String data, String trace) {

    static final String TYPE = "Herald-Type";
    static final String TS = "Herald-Ts";
    static final String CUM = "Herald-Cum";
    static final String PREV = "Nats-Expected-Last-Subject-Sequence";
    static final String MSG_ID = "Nats-Msg-Id";
    static final String SEQUENCE = "Nats-Sequence";
    static final String TRACE = "traceparent";
    /** What an event costs beyond its type and data, in the byte bound (as the Redis broker counts). */
    static final long OVERHEAD = 64;

    private static final ObjectMapper JSON = new ObjectMapper();

    static EventId id(long seq) {
        return new EventId(0, seq);
    }

    /** The stream sequence an id names, or -1 for an id no NATS event can have. */
    static long seqOf(EventId id) {
        return id.millis() == 0 ? id.seq() : -1;
    }

    static long cost(String type, int dataBytes) {
        return type.length() + dataBytes + OVERHEAD;
    }

    long cost() {
        return cost(type, data.getBytes(StandardCharsets.UTF_8).length);
    }

    /** Bytes of the topic's events before this one. */
    long cumBefore() {
        return cum - cost();
    }

    EventId id() {
        return id(seq);
    }

    Event toEvent(Topic topic) {
        return new Event(id(), topic, type, data, ts, trace);
    }

    /** A republished live message (the stream adds {@code Nats-Sequence}); null when it is not an event. */
    static StoredEvent ofLive(Message message) {
        Headers h = message.getHeaders();
        if (h == null || h.getFirst(SEQUENCE) == null) {
            return null;
        }
        return ofConsumed(number(h.getFirst(SEQUENCE)), message);
    }

    /** A stored message as a consumer delivers it, with the stream sequence its reply subject names. */
    static StoredEvent ofConsumed(long seq, Message message) {
        Headers h = message.getHeaders();
        String data = message.getData() == null ? "" : new String(message.getData(), StandardCharsets.UTF_8);
        if (h == null) {
            return of(seq, null, null, null, null, data, null);
        }
        return of(seq, h.getFirst(PREV), h.getFirst(CUM), h.getFirst(TYPE), h.getFirst(TS), data, h.getFirst(TRACE));
    }

    /**
     * The message of a {@code STREAM.MSG.GET} answer; null when there is none (404). Any other error
     * fails with the NATS description.
     */
    static StoredEvent ofGet(byte[] answer) throws IOException {
        JsonNode root = JSON.readTree(answer);
        JsonNode error = root.get("error");
        if (error != null) {
            if (error.path("code").asInt() == 404) {
                return null;
            }
            throw new IOException("NATS: " + error.path("description").asText() + " ["
                    + error.path("err_code").asInt() + "]");
        }
        JsonNode m = root.get("message");
        if (m == null) {
            throw new IOException("NATS: unexpected answer to a message get");
        }
        String prev = null;
        String cum = null;
        String type = null;
        String ts = null;
        String trace = null;
        String hdrs = m.path("hdrs").asText("");
        if (!hdrs.isEmpty()) {
            // NATS/1.0\r\nName: value\r\n...\r\n\r\n
            for (String line : new String(Base64.getDecoder().decode(hdrs), StandardCharsets.UTF_8).split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = line.substring(0, colon);
                String value = line.substring(colon + 1).trim();
                switch (name) {
                    case PREV -> prev = value;
                    case CUM -> cum = value;
                    case TYPE -> type = value;
                    case TS -> ts = value;
                    case TRACE -> trace = value;
                    default -> {
                    }
                }
            }
        }
        String data = new String(Base64.getDecoder().decode(m.path("data").asText("")), StandardCharsets.UTF_8);
        return of(m.path("seq").asLong(), prev, cum, type, ts, data, trace);
    }

    private static StoredEvent of(long seq, String prev, String cum, String type, String ts, String data,
                                  String trace) {
        // A message Herald did not write (someone published on the subject by hand) still gets read:
        // with the defaults it cannot break ordering, only the byte count.
        return new StoredEvent(seq, number(prev), number(cum), type == null ? Event.DEFAULT_TYPE : type,
                number(ts), data.isEmpty() ? "null" : data, trace);
    }

    private static long number(String text) {
        if (text == null) {
            return 0;
        }
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
