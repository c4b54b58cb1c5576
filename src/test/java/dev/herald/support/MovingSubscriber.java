package dev.herald.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.event.EventId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A subscriber that behaves as a well-behaved client behind a load balancer when its node drains: it
 * streams from its first node; when told to go (SSE {@code herald.shutdown} with {@code retry:},
 * WebSocket close 1001 with {@code retry=<ms>}) it waits the hinted delay, as EventSource does, and
 * resumes on the other node with its cursor (SSE {@code Last-Event-ID}, WebSocket {@code cursor}).
 *
 * <p>It records every event (topic, id, the publisher's {@code data.key}, arrival time), every server
 * notice, and the times of its first go-away and of the reconnect that followed, for drain tests. One
 * virtual thread per subscriber; WebSockets share one JDK {@link HttpClient}.
 */
public abstract sealed class MovingSubscriber implements AutoCloseable {

    /** One event as received. */
    public record Received(String topic, EventId id, String key, long at) {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern WS_HINT = Pattern.compile("retry=(\\d+)");
    /** What a client does when a node refuses it or the connection breaks unexpectedly: try again soon. */
    private static final long FAILURE_BACKOFF_MILLIS = 250;

    protected final String name;
    protected final List<String> topics;
    protected final String token;
    private final URI first;
    private final URI other;
    private final List<Received> received = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final CountDownLatch connected = new CountDownLatch(1);
    private final long deadline;
    private volatile boolean stopped;
    private volatile String cursor;
    private volatile int connections;
    private volatile long goAwayAt = -1;
    private volatile long retryHint = -1;
    private volatile long attemptAt = -1;
    private volatile long reconnectAt = -1;
    private volatile URI current;
    private Thread thread;

    private MovingSubscriber(String name, URI first, URI other, List<String> topics, String token, String cursor,
                             Duration lifetime) {
        this.name = name;
        this.first = first;
        this.other = other;
        this.current = first;
        this.topics = List.copyOf(topics);
        this.token = token;
        this.cursor = cursor;
        this.deadline = System.nanoTime() + lifetime.toNanos();
    }

    /** An SSE subscriber on {@code first} that moves to {@code other} when told to; {@code cursor} may be null. */
    public static MovingSubscriber sse(String name, URI first, URI other, List<String> topics, String token,
                                       String cursor, Duration lifetime) {
        return new Sse(name, first, other, topics, token, cursor, lifetime).start();
    }

    /** A WebSocket subscriber (one subscription of all its topics) on {@code first}; see {@link #sse}. */
    public static MovingSubscriber ws(HttpClient http, String name, URI first, URI other, List<String> topics,
                                      String token, String cursor, Duration lifetime) {
        return new Ws(http, name, first, other, topics, token, cursor, lifetime).start();
    }

    final MovingSubscriber start() {
        thread = Thread.ofVirtual().name(name).start(this::run);
        return this;
    }

    private void run() {
        while (!stopped && System.nanoTime() < deadline) {
            URI node = current;
            if (goAwayAt >= 0 && attemptAt < 0) {
                attemptAt = System.nanoTime();
            }
            long waitMillis;
            try {
                waitMillis = stream(node);
            } catch (RuntimeException e) {
                problem("on " + node + ": " + e);
                waitMillis = FAILURE_BACKOFF_MILLIS;
            }
            if (waitMillis < 0) {
                return;
            }
            // The reconnect delay the server hinted (EventSource's retry), or a short backoff.
            sleep(waitMillis);
        }
    }

    /**
     * Opens one connection on {@code node} and consumes it until it ends; returns how long to wait
     * before the next attempt, or -1 to stop.
     */
    protected abstract long stream(URI node);

    // ---- called by the transports ----

    /** The connection is open and subscribed. */
    protected final void opened(URI node) {
        connections++;
        if (reconnectAt < 0 && node.equals(other)) {
            reconnectAt = System.nanoTime();
        }
        connected.countDown();
    }

    protected final void cursor(String position) {
        if (position != null) {
            cursor = position;
        }
    }

    protected final String cursor() {
        return cursor;
    }

    /** Told to go, with the reconnect delay the server hinted: the load balancer sends the next attempt elsewhere. */
    protected final void toldToGo(long hintMillis, String notice) {
        if (goAwayAt < 0) {
            goAwayAt = System.nanoTime();
            retryHint = hintMillis;
        }
        notice(notice);
        current = other;
    }

    /** The connection broke or was refused without a go-away: the next attempt goes to the other node. */
    protected final void failedOver(String why) {
        problem(why);
        current = other;
    }

    protected final synchronized void received(String topic, String id, String key) {
        received.add(new Received(topic, EventId.parse(id), key, System.nanoTime()));
    }

    protected final synchronized void notice(String notice) {
        notices.add(notice);
    }

    protected final synchronized void problem(String problem) {
        problems.add(problem);
    }

    protected final boolean stopped() {
        return stopped || System.nanoTime() >= deadline;
    }

    /** Handles one envelope: data events are recorded, {@code herald.*} notices kept apart. */
    protected final void envelope(JsonNode envelope) {
        String type = envelope.path("type").asText();
        if (type.startsWith("herald.")) {
            notice(type + " " + envelope.path("data"));
            return;
        }
        received(envelope.path("topic").asText(), envelope.path("id").asText(),
                envelope.path("data").path("key").asText());
    }

    // ---- results ----

    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        return connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String name() {
        return name;
    }

    public List<String> topics() {
        return topics;
    }

    public synchronized List<Received> received() {
        return List.copyOf(received);
    }

    public synchronized List<String> notices() {
        return List.copyOf(notices);
    }

    public synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    public int connections() {
        return connections;
    }

    /** {@link System#nanoTime} of the first go-away notice, or -1. */
    public long goAwayAt() {
        return goAwayAt;
    }

    /** The reconnect delay hinted with the first go-away (ms), or -1. */
    public long retryHint() {
        return retryHint;
    }

    /** {@link System#nanoTime} at which, its hinted delay over, the subscriber set out for the other node, or -1. */
    public long attemptAt() {
        return attemptAt;
    }

    /** {@link System#nanoTime} at which the subscriber was first streaming on the other node, or -1. */
    public long reconnectAt() {
        return reconnectAt;
    }

    public abstract String transport();

    /** Stops at the next frame or close, without waiting. */
    public void stop() {
        stopped = true;
    }

    /** Stops and waits (bounded) for the subscriber's thread to end. */
    @Override
    public void close() {
        stopped = true;
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException("unreadable message: " + text, e);
        }
    }

    /** Server-Sent Events through {@link SseClient}, as EventSource: Last-Event-ID and the last {@code retry:}. */
    private static final class Sse extends MovingSubscriber {
        private long retryMillis = 2000;

        private Sse(String name, URI first, URI other, List<String> topics, String token, String cursor,
                    Duration lifetime) {
            super(name, first, other, topics, token, cursor, lifetime);
        }

        @Override
        public String transport() {
            return "sse";
        }

        @Override
        protected long stream(URI node) {
            try (SseClient client = SseClient.open(node, topics, token, cursor())) {
                if (client.status() != 200) {
                    failedOver(client.status() + " from " + node + ": " + client.errorBody());
                    return FAILURE_BACKOFF_MILLIS;
                }
                opened(node);
                boolean toldToGo = false;
                while (!stopped()) {
                    SseClient.Frame frame = client.next(Duration.ofMillis(200));
                    if (frame == null) {
                        if (client.ended()) {
                            if (!toldToGo) {
                                failedOver("stream on " + node + " ended without herald.shutdown");
                            }
                            return retryMillis;
                        }
                        continue;
                    }
                    if (frame.retry() != null) {
                        retryMillis = frame.retry();
                    }
                    cursor(frame.id());
                    if (!frame.isEvent()) {
                        continue;
                    }
                    if ("herald.shutdown".equals(frame.event())) {
                        toldToGo = true;
                        toldToGo(retryMillis, "herald.shutdown retry=" + retryMillis);
                    } else {
                        envelope(json(frame.data()));
                    }
                }
                return -1;
            } catch (IllegalStateException refused) {
                failedOver(refused.getMessage());
                return FAILURE_BACKOFF_MILLIS;
            }
        }
    }

    /** WebSocket through the JDK client: one {@code subscribe} of all topics, resumed with its cursor. */
    private static final class Ws extends MovingSubscriber {
        private final HttpClient http;

        private Ws(HttpClient http, String name, URI first, URI other, List<String> topics, String token,
                   String cursor, Duration lifetime) {
            super(name, first, other, topics, token, cursor, lifetime);
            this.http = http;
        }

        @Override
        public String transport() {
            return "ws";
        }

        @Override
        protected long stream(URI node) {
            URI uri = URI.create(node.toString().replaceFirst("^http", "ws").replaceAll("/$", "") + "/v1/ws");
            Listener listener = new Listener(node);
            WebSocket socket;
            try {
                socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                        .header("Authorization", "Bearer " + token)
                        .buildAsync(uri, listener).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // Refused upgrade (503 while draining) or node gone.
                failedOver("upgrade on " + node + " failed: " + e.getCause());
                return FAILURE_BACKOFF_MILLIS;
            }
            StringBuilder subscribe = new StringBuilder("{\"op\":\"subscribe\",\"ref\":\"s\",\"topics\":[");
            for (int i = 0; i < topics.size(); i++) {
                subscribe.append(i == 0 ? "\"" : ",\"").append(topics.get(i)).append('"');
            }
            subscribe.append(']');
            String position = cursor();
            if (position != null) {
                subscribe.append(",\"cursor\":\"").append(position).append('"');
            }
            socket.sendText(subscribe.append('}').toString(), true);
            try {
                while (!stopped()) {
                    try {
                        String reason = listener.closed.get(200, TimeUnit.MILLISECONDS);
                        int code = listener.code;
                        Matcher hint = WS_HINT.matcher(reason);
                        if (code == 1001 && hint.find()) {
                            long retry = Long.parseLong(hint.group(1));
                            toldToGo(retry, "close 1001 " + reason);
                            return retry;
                        }
                        failedOver("closed " + code + " " + reason + " on " + node);
                        return FAILURE_BACKOFF_MILLIS;
                    } catch (java.util.concurrent.TimeoutException stillOpen) {
                        // keep streaming
                    }
                }
                return -1;
            } catch (Exception e) {
                failedOver("on " + node + ": " + e);
                return FAILURE_BACKOFF_MILLIS;
            } finally {
                socket.abort();
            }
        }

        private final class Listener implements WebSocket.Listener {
            private final URI node;
            private final StringBuilder partial = new StringBuilder();
            private final CompletableFuture<String> closed = new CompletableFuture<>();
            private volatile int code;

            Listener(URI node) {
                this.node = node;
            }

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    JsonNode message = json(partial.toString());
                    partial.setLength(0);
                    switch (message.path("type").asText()) {
                        case "subscribed" -> {
                            cursor(message.path("cursor").asText(null));
                            opened(node);
                        }
                        case "event" -> {
                            cursor(message.path("cursor").asText(null));
                            envelope(message.path("event"));
                        }
                        case "error" -> {
                            problem("error on " + node + ": " + message);
                            if (message.path("code").asText().equals("unavailable")) {
                                // What a client does with a subscription refused for now: try again shortly.
                                webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "retrying");
                            }
                        }
                        default -> { }
                    }
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                code = statusCode;
                closed.complete(reason);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                code = 1006;
                closed.complete(String.valueOf(error));
            }
        }
    }
}
