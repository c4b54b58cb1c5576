package dev.herald.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;

/**
 * One SSE stream over a raw TCP socket: writes the GET by hand and parses the chunked response and
 * the SSE frames byte by byte in place, with no allocation per event (one reusable line buffer per
 * connection). It reads two numbers from each event's data, {@code "s":} (the per-topic sequence
 * number, for loss and duplicate checks) and {@code "t":} (the publisher's nanoTime), and can keep
 * the last {@code id:} (the cursor) for a resume.
 */
final class SseSubscriber {

    private static final int HEAD = 0;
    private static final int CHUNK_SIZE = 1;
    private static final int CHUNK_DATA = 2;
    private static final int CHUNK_END = 3;
    private static final int DONE = 4;

    final int topic;
    final String topicName;
    private final Recorder recorder;
    private final boolean keepCursor;
    NetSocket socket;
    /** The last cursor seen ({@code keepCursor} only). */
    String cursor;
    /**
     * Sequence numbers received. Concurrent publishes may reach the server in another order than their
     * numbers, so the check is by set, not by "next expected".
     */
    final java.util.BitSet seen = new java.util.BitSet();
    /** Distinct sequence numbers received. */
    long expected;
    long duplicates;
    boolean open;
    boolean failed;
    /** The status line of a refused stream (e.g. {@code HTTP/1.1 401 Unauthorized}). */
    String refusal;
    /** Set when the server ended the stream or the connection closed. */
    boolean ended;
    /** Reached the target sequence (W5); nanoTime when it did. */
    long caughtUpAt;
    long target = Long.MAX_VALUE;
    /** The server's last {@code retry:} (ms): how long an EventSource waits before it reconnects. */
    long retryMs = 2000;
    /** Reconnects after the server ended the stream (W5: a stream told to retry later). */
    int retries;
    /** Runs on the loop when the stream ends (connection closed or last chunk), once per connection. */
    Runnable onEnd;

    private int phase = HEAD;
    private int headMatch;
    private int chunkLeft;
    private byte[] line = new byte[320];
    private int lineLen;
    private boolean statusChecked;
    private long pendingSeq = -1;
    private long pendingTs;

    SseSubscriber(int topic, String topicName, Recorder recorder, boolean keepCursor) {
        this.topic = topic;
        this.topicName = topicName;
        this.recorder = recorder;
        this.keepCursor = keepCursor;
    }

    /** The GET of a new connection; {@code token} (null: none) goes into the Authorization header. */
    Buffer request(String host, String token) {
        StringBuilder b = new StringBuilder(token == null ? 160 : 160 + token.length())
                .append("GET /v1/stream?topic=").append(topicName)
                .append(" HTTP/1.1\r\nHost: ").append(host).append("\r\nAccept: text/event-stream\r\n");
        if (token != null) {
            b.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        if (cursor != null) {
            b.append("Last-Event-ID: ").append(cursor).append("\r\n");
        }
        return Buffer.buffer(b.append("\r\n").toString());
    }

    /** Starts over on a new connection (a resume keeps expected and cursor). */
    void reconnecting() {
        phase = HEAD;
        headMatch = 0;
        lineLen = 0;
        statusChecked = false;
        pendingSeq = -1;
        open = false;
        ended = false;
    }

    void handle(Buffer buffer) {
        ByteBuf b = buffer.getByteBuf();
        int i = b.readerIndex();
        int end = b.writerIndex();
        while (i < end) {
            switch (phase) {
                case HEAD -> {
                    byte c = b.getByte(i++);
                    if (!statusChecked) {
                        if (c == '\n') {
                            statusChecked = true;
                            String status = new String(line, 0, lineLen, StandardCharsets.US_ASCII);
                            lineLen = 0;
                            if (!status.contains(" 200")) {
                                failed = true;
                                refusal = status.strip();
                            }
                        } else {
                            append(c);
                        }
                    }
                    headMatch = (c == '\r' || c == '\n') ? headMatch + 1 : 0;
                    if (headMatch == 4) {
                        phase = CHUNK_SIZE;
                        chunkLeft = 0;
                        open = !failed;
                    }
                }
                case CHUNK_SIZE -> {
                    byte c = b.getByte(i++);
                    if (c == '\n') {
                        if (chunkLeft == 0) {
                            phase = DONE;
                            // The server ended the stream; the connection could be reused, but like
                            // EventSource we close it (a resume opens a new one).
                            if (socket != null) {
                                socket.close();
                            }
                        } else {
                            phase = CHUNK_DATA;
                        }
                    } else if (c != '\r' && c != ';') {
                        chunkLeft = chunkLeft * 16 + Character.digit(c, 16);
                    }
                }
                case CHUNK_DATA -> {
                    int n = Math.min(chunkLeft, end - i);
                    for (int k = 0; k < n; k++) {
                        byte c = b.getByte(i + k);
                        if (c == '\n') {
                            onLine();
                            lineLen = 0;
                        } else {
                            append(c);
                        }
                    }
                    i += n;
                    chunkLeft -= n;
                    if (chunkLeft == 0) {
                        phase = CHUNK_END;
                    }
                }
                case CHUNK_END -> {
                    if (b.getByte(i++) == '\n') {
                        phase = CHUNK_SIZE;
                    }
                }
                default -> i = end;
            }
        }
    }

    private void append(byte c) {
        if (lineLen == line.length) {
            line = java.util.Arrays.copyOf(line, line.length * 2);
        }
        line[lineLen++] = c;
    }

    private void onLine() {
        if (lineLen == 0) {
            if (pendingSeq >= 0) {
                delivered(pendingSeq, pendingTs);
                pendingSeq = -1;
            }
            return;
        }
        if (startsWith("data:")) {
            int s = find('s', 5);
            int t = find('t', 5);
            if (s < 0 || t < 0) {
                recorder.notices++;
            } else {
                pendingSeq = number(s);
                pendingTs = number(t);
            }
        } else if (startsWith("retry:")) {
            retryMs = number(line[6] == ' ' ? 7 : 6);
        } else if (keepCursor && startsWith("id:")) {
            int from = line[3] == ' ' ? 4 : 3;
            cursor = new String(line, from, lineLen - from, StandardCharsets.US_ASCII);
        }
    }

    private void delivered(long seq, long ts) {
        if (seen.get((int) seq)) {
            duplicates++;
            return;
        }
        seen.set((int) seq);
        expected++;
        recorder.delivered(ts);
        if (expected >= target && caughtUpAt == 0) {
            caughtUpAt = recorder.now;
        }
    }

    private boolean startsWith(String prefix) {
        return Bytes.startsWith(line, lineLen, prefix);
    }

    private int find(char key, int from) {
        return Bytes.find(line, from, lineLen, key);
    }

    private long number(int at) {
        return Bytes.number(line, at, lineLen);
    }
}
