package dev.herald.support;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal real SSE client over HTTP/1.1 for tests: parses frames as a browser would (id, event,
 * data, retry, comments) and hands them out through a queue. One reader thread per client.
 *
 * <p>Each frame also keeps the raw lines it was parsed from, so that tests can check the wire itself
 * (one {@code data:} line per event, no injected field). {@link #request} builds a request with the
 * token in the header, the cookie or the query, and {@link Request#openRaw} sends it over a plain
 * socket, byte for byte, for headers that the JDK's HTTP client refuses to send (CR, LF).
 *
 * <p>{@link Request#open} goes through {@link HttpClient} (HTTP/1.1), whose body stream closes at once
 * even while the reader thread waits in a read. {@code HttpURLConnection} could not: its chunked stream
 * takes one lock for read and close, so each {@link #close} waited for the next frame, a heartbeat
 * (1s in the test profile, 15s in prod), or longer when the reader took the lock back first.
 */
public final class SseClient implements AutoCloseable {

    /**
     * One dispatched block of the stream (a block with only comments is a heartbeat).
     *
     * @param lines the raw lines of the block, as received
     */
    public record Frame(String id, String event, String data, Long retry, List<String> comments, List<String> lines) {
        public Frame(String id, String event, String data, Long retry, List<String> comments) {
            this(id, event, data, retry, comments, List.of());
        }

        public boolean isEvent() {
            return data != null;
        }

        /** Raw lines of this frame that start with {@code field + ":"}. */
        public List<String> linesOf(String field) {
            return lines.stream().filter(l -> l.startsWith(field + ":")).toList();
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Where a request carries its token. */
    public enum TokenIn { HEADER, COOKIE, QUERY }

    private final AutoCloseable connection;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final int status;
    private final String errorBody;
    private final Map<String, List<String>> headers;
    private volatile boolean ended;
    private volatile String lastId;

    private SseClient(AutoCloseable connection, int status, Map<String, List<String>> headers, InputStream body)
            throws IOException {
        this.connection = connection;
        this.status = status;
        this.headers = headers;
        if (status != 200) {
            this.errorBody = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            this.ended = true;
            return;
        }
        this.errorBody = null;
        Thread.ofVirtual().start(() -> read(body));
    }

    /** Opens {@code /v1/stream} for the topics; {@code token} and {@code lastEventId} may be null. */
    public static SseClient open(URI base, List<String> topics, String token, String lastEventId) {
        return request(base, topics).token(token).lastEventId(lastEventId).open();
    }

    public static SseClient open(URI base, List<String> topics, String token, String lastEventId,
                                 Map<String, String> extraQuery) {
        Request r = request(base, topics).token(token).lastEventId(lastEventId);
        extraQuery.forEach(r::query);
        return r.open();
    }

    public static Request request(URI base, List<String> topics) {
        return new Request(base, topics);
    }

    /** A subscription request under construction. */
    public static final class Request {
        private final URI base;
        private final List<String> topics;
        private String path = "/v1/stream";
        private String token;
        private TokenIn tokenIn = TokenIn.HEADER;
        private String lastEventId;
        private final Map<String, String> query = new LinkedHashMap<>();
        private final Map<String, String> headers = new LinkedHashMap<>();

        private Request(URI base, List<String> topics) {
            this.base = base;
            this.topics = topics;
        }

        public Request token(String token) {
            this.token = token;
            return this;
        }

        public Request token(String token, TokenIn in) {
            this.token = token;
            this.tokenIn = in;
            return this;
        }

        /** Sent as the {@code Last-Event-ID} header (null: none). */
        public Request lastEventId(String lastEventId) {
            this.lastEventId = lastEventId;
            return this;
        }

        /** A query parameter, URL-encoded (so CR and LF travel as %0D %0A). */
        public Request query(String name, String value) {
            query.put(name, value);
            return this;
        }

        /** Another stream than {@code /v1/stream}, e.g. {@code /admin/stream}. */
        public Request path(String path) {
            this.path = path;
            return this;
        }

        public Request header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** The path and query of the request. */
        public String target() {
            StringBuilder q = new StringBuilder();
            for (String t : topics) {
                q.append(q.isEmpty() ? "?" : "&").append("topic=").append(URLEncoder.encode(t, StandardCharsets.UTF_8));
            }
            Map<String, String> all = new LinkedHashMap<>(query);
            if (token != null && tokenIn == TokenIn.QUERY) {
                all.put("access_token", token);
            }
            all.forEach((k, v) -> q.append(q.isEmpty() ? "?" : "&").append(k).append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
            return path + q;
        }

        private Map<String, String> allHeaders() {
            Map<String, String> all = new LinkedHashMap<>();
            all.put("Accept", "text/event-stream");
            if (token != null && tokenIn == TokenIn.HEADER) {
                all.put("Authorization", "Bearer " + token);
            }
            if (token != null && tokenIn == TokenIn.COOKIE) {
                all.put("Cookie", "herald_token=" + token);
            }
            if (lastEventId != null) {
                all.put("Last-Event-ID", lastEventId);
            }
            all.putAll(headers);
            return all;
        }

        public SseClient open() {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(target()))
                    .timeout(Duration.ofSeconds(60)); // for the response head; the body streams on
            allHeaders().forEach(request::header);
            try {
                HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                InputStream body = response.body();
                return new SseClient(body, response.statusCode(), response.headers().map(), body);
            } catch (IOException e) {
                throw new IllegalStateException("cannot open SSE stream: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while opening an SSE stream", e);
            }
        }

        /**
         * Sends the request over a plain socket exactly as built, header values unchecked: for requests
         * a well-behaved client library refuses to send.
         */
        public SseClient openRaw() {
            try {
                Socket socket = new Socket(base.getHost(), base.getPort());
                socket.setSoTimeout(60_000);
                StringBuilder req = new StringBuilder("GET ").append(target()).append(" HTTP/1.1\r\n")
                        .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n");
                allHeaders().forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
                req.append("\r\n");
                OutputStream out = socket.getOutputStream();
                out.write(req.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = socket.getInputStream();
                String statusLine = readHttpLine(in);
                if (statusLine == null) {
                    socket.close();
                    throw new IOException("no response");
                }
                int status = Integer.parseInt(statusLine.split(" ")[1]);
                Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
                String line;
                while ((line = readHttpLine(in)) != null && !line.isEmpty()) {
                    int colon = line.indexOf(':');
                    responseHeaders.computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
                            .add(line.substring(colon + 1).trim());
                }
                String te = first(responseHeaders, "Transfer-Encoding");
                String cl = first(responseHeaders, "Content-Length");
                InputStream body;
                if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                    body = new ChunkedInputStream(in);
                } else if (cl != null) {
                    body = new java.io.ByteArrayInputStream(in.readNBytes(Integer.parseInt(cl)));
                } else {
                    body = in;
                }
                return new SseClient(socket, status, responseHeaders, body);
            } catch (IOException e) {
                throw new IllegalStateException("cannot open SSE stream: " + e, e);
            }
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    /** One CRLF-terminated line of an HTTP head or chunk header, or null at the end of the stream. */
    static String readHttpLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Decodes an HTTP/1.1 chunked body. */
    private static final class ChunkedInputStream extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        ChunkedInputStream(InputStream in) {
            this.in = in;
        }

        private boolean nextChunk() throws IOException {
            if (done) {
                return false;
            }
            String size = readHttpLine(in);
            if (size != null && size.isEmpty()) {
                size = readHttpLine(in); // the CRLF after the previous chunk's data
            }
            if (size == null) {
                done = true;
                return false;
            }
            int semicolon = size.indexOf(';');
            left = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (left == 0) {
                done = true;
                return false;
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0 && !nextChunk()) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                done = true;
                return -1;
            }
            left -= n;
            return n;
        }
    }

    private void read(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            Long retry = null;
            List<String> comments = new ArrayList<>();
            List<String> lines = new ArrayList<>();
            boolean any = false;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    if (any) {
                        if (id != null) {
                            lastId = id;
                        }
                        frames.add(new Frame(id, event, data == null ? null : data.toString(), retry, comments,
                                List.copyOf(lines)));
                    }
                    id = null;
                    event = null;
                    data = null;
                    retry = null;
                    comments = new ArrayList<>();
                    lines = new ArrayList<>();
                    any = false;
                    continue;
                }
                any = true;
                lines.add(line);
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
        return first(headers, name);
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

    /** The next event, failing the test if none arrives within {@code timeout}. */
    public Frame expectEvent(Duration timeout) {
        Frame f = nextEvent(timeout);
        if (f == null) {
            throw new AssertionError("no event within " + timeout);
        }
        return f;
    }

    /** Asserts that no event (heartbeats aside) arrives within {@code quiet}. */
    public void expectNoEvent(Duration quiet) {
        Frame f = nextEvent(quiet);
        if (f != null) {
            throw new AssertionError("unexpected event: " + f);
        }
    }

    /** The first frame of the stream (the preamble: {@code retry:} and the initial cursor). */
    public Frame preamble(Duration timeout) {
        Frame f = next(timeout);
        if (f == null || f.retry() == null) {
            throw new AssertionError("expected the preamble, got " + f);
        }
        return f;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
