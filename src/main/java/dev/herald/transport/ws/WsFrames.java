package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import dev.herald.event.Event;
import dev.herald.event.Json;
import dev.herald.hub.Notice;
import dev.herald.hub.Subscription;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The server's WebSocket messages (README, "WebSocket (`/v1/ws`)"), one JSON object per text frame. Event
 * frames of single-topic subscriptions are built once per event and shared by every connection.
 */
final class WsFrames {

    /** {@code {"type":"event","cursor":…,"event":…}} of a single-topic subscription: depends on the event alone. */
    static final Event.Encoding<String> SINGLE_TOPIC_EVENT = Event.Encoding.allocate("ws-single-topic-event",
            e -> event(e.encoded(Subscription.SINGLE_TOPIC_CURSOR), e));

    /** {@link #SINGLE_TOPIC_EVENT} as a whole text frame in direct memory (see {@link RawFrames}). */
    static final Event.Encoding<ByteBuffer> SINGLE_TOPIC_FRAME = Event.Encoding.allocate("ws-single-topic-frame",
            e -> RawFrames.directFrame(e.encoded(SINGLE_TOPIC_EVENT)));

    private WsFrames() {
    }

    static String event(String cursor, Event event) {
        String envelope = event.envelope();
        return new StringBuilder(envelope.length() + cursor.length() + 40)
                .append("{\"type\":\"event\",\"cursor\":\"").append(cursor).append("\",\"event\":")
                .append(envelope).append('}').toString();
    }

    /**
     * A server notice in the envelope's shape, without id. A reset carries the cursor (it moves the
     * position); a presence change does not (it is not part of the topic's history).
     */
    static String notice(Notice notice, String cursor) {
        StringBuilder b = new StringBuilder(96 + notice.data().length()).append("{\"type\":\"event\",");
        if (!notice.isPresence()) {
            b.append("\"cursor\":\"").append(cursor).append("\",");
        }
        b.append("\"event\":{");
        if (notice.topic() != null) {
            b.append("\"topic\":\"").append(notice.topic().name()).append("\",");
        }
        return b.append("\"type\":\"").append(notice.type()).append("\",\"data\":").append(notice.data())
                .append(",\"ts\":").append(System.currentTimeMillis()).append("}}").toString();
    }

    static String subscribed(List<String> topics, String cursor, String ref) {
        StringBuilder b = new StringBuilder("{\"type\":\"subscribed\",\"topics\":").append(topicList(topics));
        if (cursor != null) {
            b.append(",\"cursor\":\"").append(cursor).append('"');
        }
        return withRef(b, ref);
    }

    static String unsubscribed(List<String> topics, String ref) {
        return withRef(new StringBuilder("{\"type\":\"unsubscribed\",\"topics\":").append(topicList(topics)), ref);
    }

    static String ack(String id, String topic, boolean duplicate, String ref) {
        return withRef(new StringBuilder("{\"type\":\"ack\",\"id\":\"").append(id).append("\",\"topic\":\"")
                .append(topic).append("\",\"duplicate\":").append(duplicate), ref);
    }

    static String authenticated(String subject, String ref) {
        StringBuilder b = new StringBuilder("{\"type\":\"authenticated\"");
        if (subject != null) {
            b.append(",\"subject\":").append(Json.quote(subject));
        }
        return withRef(b, ref);
    }

    static String pong(String ref) {
        return withRef(new StringBuilder("{\"type\":\"pong\""), ref);
    }

    /** An error; the message is ours (never the client's input, never a token). */
    /** An {@code error} frame with the WebSocket code of {@code code}. */
    static String error(ErrorCode code, String message, String ref) {
        return error(code.wsCode(), message, ref);
    }

    private static String error(String code, String message, String ref) {
        return withRef(new StringBuilder("{\"type\":\"error\",\"code\":\"").append(code).append("\",\"message\":")
                .append(Json.quote(message)), ref);
    }

    /** {@code ref} is already JSON (a string or a number the client sent), or null. */
    private static String withRef(StringBuilder b, String ref) {
        if (ref != null) {
            b.append(",\"ref\":").append(ref);
        }
        return b.append('}').toString();
    }

    private static String topicList(List<String> topics) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < topics.size(); i++) {
            b.append(i == 0 ? "\"" : ",\"").append(topics.get(i)).append('"');
        }
        return b.append(']').toString();
    }
}
