package dev.herald.transport.sse;

import dev.herald.event.Event;
import dev.herald.hub.Notice;
import dev.herald.hub.Subscription;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The SSE wire format. Frames are built from validated parts only: event types and topics come from
 * restricted alphabets, cursors are base64url, and envelopes are one-line JSON, so no CR or LF from
 * a client can end a field early and inject a field or an event of its own.
 */
final class SseFrames {

    /** {@code event:} and {@code data:} lines of an event, shared by every connection. */
    static final Event.Encoding<byte[]> TAIL = Event.Encoding.allocate("sse-tail",
            e -> ("event: " + e.type() + "\ndata: " + e.envelope() + "\n\n").getBytes(StandardCharsets.UTF_8));

    /** The whole frame of an event on single-topic subscriptions, whose cursor depends on the event alone. */
    static final Event.Encoding<byte[]> SINGLE_TOPIC_FRAME = Event.Encoding.allocate("sse-single-topic-frame",
            e -> concat(idLine(e.encoded(Subscription.SINGLE_TOPIC_CURSOR)), e.encoded(TAIL)));

    /** Frames without {@code event:} ({@code ?named=false}): EventSource hands them all to onmessage. */
    static final Event.Encoding<byte[]> UNNAMED_TAIL = Event.Encoding.allocate("sse-unnamed-tail",
            e -> ("data: " + e.envelope() + "\n\n").getBytes(StandardCharsets.UTF_8));

    static final Event.Encoding<byte[]> UNNAMED_SINGLE_TOPIC_FRAME = Event.Encoding.allocate("sse-unnamed-single-topic-frame",
            e -> concat(idLine(e.encoded(Subscription.SINGLE_TOPIC_CURSOR)), e.encoded(UNNAMED_TAIL)));

    /** {@link #SINGLE_TOPIC_FRAME} as a whole HTTP chunk in direct memory (see {@link RawChunks}). */
    static final Event.Encoding<ByteBuffer> SINGLE_TOPIC_CHUNK = Event.Encoding.allocate("sse-single-topic-chunk",
            e -> RawChunks.directChunk(e.encoded(SINGLE_TOPIC_FRAME)));

    static final Event.Encoding<ByteBuffer> UNNAMED_SINGLE_TOPIC_CHUNK = Event.Encoding.allocate("sse-unnamed-single-topic-chunk",
            e -> RawChunks.directChunk(e.encoded(UNNAMED_SINGLE_TOPIC_FRAME)));

    private SseFrames() {
    }

    static byte[] idLine(String cursor) {
        return ("id: " + cursor + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String notice(Notice notice, String cursor) {
        return "id: " + cursor + "\nevent: " + notice.type() + "\ndata: " + notice.data() + "\n\n";
    }

    /** {@code retry:} and, when known, the starting cursor (an {@code id:} without data). */
    static String preamble(long retryMillis, String cursor) {
        return cursor == null ? "retry: " + retryMillis + "\n\n" : "retry: " + retryMillis + "\nid: " + cursor + "\n\n";
    }

    /**
     * The preamble for {@code named=false} clients: the starting cursor also comes as a
     * {@code herald.start} event, because EventSource keeps an {@code id:} without data to itself (it
     * resumes from it, but script cannot read it). A client that restarts the stream on its own then
     * knows where it began, even before any event.
     */
    static String preambleWithStart(long retryMillis, String cursor) {
        return cursor == null ? preamble(retryMillis, null)
                : "retry: " + retryMillis + "\nid: " + cursor + "\nevent: herald.start\ndata: {}\n\n";
    }

    /** {@code herald.shutdown} with a {@code retry:} and, when known, the cursor to resume from. */
    static String shutdown(long retryMillis, String cursor) {
        return "retry: " + retryMillis + (cursor == null ? "" : "\nid: " + cursor)
                + "\nevent: herald.shutdown\ndata: {\"retry\":" + retryMillis + "}\n\n";
    }

    /** The token that authorized the stream expired: reconnect with a fresh one, from this cursor. */
    static String tokenExpired(long retryMillis, String cursor) {
        return "retry: " + retryMillis + "\nid: " + cursor + "\nevent: herald.token-expired\ndata: {}\n\n";
    }

    /** The broker cannot serve a new subscription right now: come back after {@code retry:}. */
    static String unavailable(long retryMillis) {
        return "retry: " + retryMillis + "\n: broker unavailable, retry\n\n";
    }

    /** The node is at its connection limit: come back after {@code retry:} (here or elsewhere). */
    static String full(long retryMillis) {
        return "retry: " + retryMillis + "\n: node at its connection limit, retry\n\n";
    }

    static final String HEARTBEAT = ": hb\n\n";
}
