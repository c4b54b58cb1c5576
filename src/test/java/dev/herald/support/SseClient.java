package dev.herald.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal real SSE client over HTTP/1.1 for tests: parses frames as a browser would (id, event,
 * data, retry, comments) and hands them out through a queue. One reader thread per client.
 */
public final class SseClient implements AutoCloseable {

    /** One dispatched block of the stream (a block with only comments is a heartbeat). */
    public record Frame(String id, String event, String data, Long retry, List<String> comments) {
        public boolean isEvent() {
            return data != null;
        }
    }

    private final HttpURLConnection connection;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final int status;
    private final String errorBody;
    private final Map<String, List<String>> headers;
    private final Thread reader;
    private volatile boolean ended;
    private volatile String lastId;

    private SseClient(HttpURLConnection connection) throws IOException {
        this.connection = connection;
        this.status = connection.getResponseCode();
        this.headers = connection.getHeaderFields();
        if (status != 200) {
            InputStream err = connection.getErrorStream();
            this.errorBody = err == null ? "" : new String(err.readAllBytes(), StandardCharsets.UTF_8);
            this.reader = null;
            this.ended = true;
            return;
        }
        this.errorBody = null;
        InputStream in = connection.getInputStream();
        this.reader = Thread.ofVirtual().start(() -> read(in));
    }

    /** Opens {@code /v1/stream} for the topics; {@code token} and {@code lastEventId} may be null. */
    public static SseClient open(URI base, List<String> topics, String token, String lastEventId) {
        return open(base, topics, token, lastEventId, Map.of());
    }

    public static SseClient open(URI base, List<String> topics, String token, String lastEventId,
                                 Map<String, String> extraQuery) {
        StringBuilder query = new StringBuilder();
        for (String t : topics) {
            query.append(query.isEmpty() ? "?" : "&").append("topic=").append(URLEncoder.encode(t, StandardCharsets.UTF_8));
        }
        extraQuery.forEach((k, v) -> query.append(query.isEmpty() ? "?" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        try {
            HttpURLConnection c = (HttpURLConnection) base.resolve("/v1/stream" + query).toURL().openConnection();
            c.setConnectTimeout(5000);
            c.setReadTimeout(60_000);
            c.setRequestProperty("Accept", "text/event-stream");
            if (token != null) {
                c.setRequestProperty("Authorization", "Bearer " + token);
            }
            if (lastEventId != null) {
                c.setRequestProperty("Last-Event-ID", lastEventId);
            }
            return new SseClient(c);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open SSE stream: " + e, e);
        }
    }

    private void read(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            Long retry = null;
            List<String> comments = new ArrayList<>();
            boolean any = false;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    if (any) {
                        if (id != null) {
                            lastId = id;
                        }
                        frames.add(new Frame(id, event, data == null ? null : data.toString(), retry, comments));
                    }
                    id = null;
                    event = null;
                    data = null;
                    retry = null;
                    comments = new ArrayList<>();
                    any = false;
                    continue;
                }
                any = true;
                if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> event = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    case "retry" -> retry = Long.parseLong(value);
                    default -> { }
                }
            }
        } catch (IOException e) {
            // connection closed by us or by the server
        } finally {
            ended = true;
        }
    }

    public int status() {
        return status;
    }

    public String errorBody() {
        return errorBody;
    }

    public String header(String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    /** The id of the last frame that carried one, as a browser keeps it for Last-Event-ID. */
    public String lastId() {
        return lastId;
    }

    /** Whether the server ended the stream (or it failed). */
    public boolean ended() {
        return ended && frames.isEmpty();
    }

    /** The next frame of any kind, or null after {@code timeout}. */
    public Frame next(Duration timeout) {
        try {
            return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The next frame with data (an event), skipping preamble and heartbeats, or null after {@code timeout}. */
    public Frame nextEvent(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            Frame f = next(Duration.ofNanos(left));
            if (f == null || f.isEvent()) {
                return f;
            }
        }
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
