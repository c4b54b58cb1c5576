package dev.herald.support;


import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client on the JDK's {@code java.net.http.WebSocket}, a stack unrelated to the server's
 * (Vert.x): proves the protocol is plain RFC 6455 + JSON text. Also usable without a Quarkus
 * container (integration tests against the packaged jar).
 */
public final class JdkWsClient implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    public static final Duration WAIT = Duration.ofSeconds(10);

    /** Close code and reason, as the server sent them. */
    public record Closed(int code, String reason) {
    }

    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final Inbox inbox = new Inbox(() -> closed.isDone() ? "; closed: " + closed.join() : "");
    private final WebSocket socket;

    private JdkWsClient(URI uri, String token) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        this.socket = builder.buildAsync(uri, new Listener()).join();
    }

    /** Connects to {@code /v1/ws} of the server at {@code base} (http://host:port). */
    public static JdkWsClient connect(URI base, String token) {
        String ws = base.toString().replaceFirst("^http", "ws").replaceAll("/$", "") + "/v1/ws";
        return new JdkWsClient(URI.create(ws), token);
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                inbox.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Closed(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Closed(1006, String.valueOf(error)));
        }
    }

    public void send(String json) {
        socket.sendText(json, true).join();
    }

    public JsonNode next() {
        return inbox.next(WAIT);
    }

    public JsonNode expect(String type) {
        return inbox.expect(type, WAIT);
    }

    /** The first message that matches, waiting for it; the messages before it stay queued, in order. */
    public JsonNode awaitMessage(Predicate<JsonNode> match) {
        return inbox.awaitMessage(match, WAIT);
    }

    /** The next presence or data event of {@code type} ({@code herald.join}, {@code chat}, ...). */
    public JsonNode awaitEvent(String type) {
        return awaitMessage(m -> m.path("type").asText().equals("event")
                && m.path("event").path("type").asText().equals(type));
    }

    public JsonNode subscribe(String topicsJson, String extra) {
        send("{\"op\":\"subscribe\",\"topics\":" + topicsJson + (extra == null ? "" : "," + extra) + "}");
        return awaitMessage(m -> m.path("type").asText().equals("subscribed") || m.path("type").asText().equals("error"));
    }

    public Closed awaitClose(Duration wait) {
        try {
            return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("the connection did not close within " + wait, e);
        }
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(t -> null);
        }
        socket.abort();
    }
}
