package dev.herald.support;


import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketClientConnection;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client for tests, on the WebSockets Next client: every text message the server sends is
 * queued as JSON; the close reason is kept.
 */
public final class WsClient implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(10);

    private final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
    private final Inbox inbox = new Inbox(() -> closed.isDone() ? "; closed: " + closed.join() : "");
    private WebSocketClientConnection connection;

    private WsClient() {
    }

    public static Builder to(URI base) {
        return new Builder(base);
    }

    public static final class Builder {
        private final URI base;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final List<String> query = new ArrayList<>();

        Builder(URI base) {
            this.base = base;
        }

        public Builder bearer(String token) {
            if (token != null) {
                headers.put("Authorization", "Bearer " + token);
            }
            return this;
        }

        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Builder query(String parameter) {
            query.add(parameter);
            return this;
        }

        public WsClient connect() {
            WsClient client = new WsClient();
            String ws = base.toString().replaceFirst("^http", "ws").replaceAll("/$", "");
            BasicWebSocketConnector connector = BasicWebSocketConnector.create()
                    .baseUri(URI.create(ws))
                    .path("/v1/ws" + (query.isEmpty() ? "" : "?" + String.join("&", query)))
                    .executionModel(BasicWebSocketConnector.ExecutionModel.NON_BLOCKING)
                    .onTextMessage((c, text) -> client.inbox.add(text))
                    .onClose((c, reason) -> client.closed.complete(reason));
            headers.forEach(connector::addHeader);
            client.connection = connector.connectAndAwait();
            return client;
        }
    }

    public void send(String json) {
        connection.sendTextAndAwait(json);
    }

    /** Sends unless the connection closed meanwhile (for floods that the server cuts off). */
    public void trySend(String json) {
        try {
            connection.sendTextAndAwait(json);
        } catch (RuntimeException closed) {
            // the server closed the connection; the test reads the close reason
        }
    }

    /** The next message; fails after {@link #WAIT}. */
    public JsonNode next() {
        return inbox.next(WAIT);
    }

    public JsonNode next(Duration wait) {
        return inbox.next(wait);
    }

    /** The next message, which must have {@code "type": type}. */
    public JsonNode expect(String type) {
        return inbox.expect(type, WAIT);
    }

    /**
     * The first message that matches, waiting for it; the messages before it stay queued, in order
     * (an ack and an event may arrive either way round).
     */
    public JsonNode awaitMessage(Predicate<JsonNode> match) {
        return inbox.awaitMessage(match, WAIT);
    }

    /** The next message within {@code quiet}, or null (for "and nothing else" checks). */
    public JsonNode poll(Duration quiet) {
        return inbox.poll(quiet);
    }

    /** The close reason once the connection closed; fails after {@link #WAIT}. */
    public CloseReason awaitClose() {
        return awaitClose(WAIT);
    }

    public CloseReason awaitClose(Duration wait) {
        try {
            return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("the connection did not close within " + wait, e);
        }
    }

    public boolean isOpen() {
        return !closed.isDone() && connection.isOpen();
    }

    /** Subscribes and returns the {@code subscribed} reply. */
    public JsonNode subscribe(String topicsJson, String extra) {
        send("{\"op\":\"subscribe\",\"topics\":" + topicsJson + (extra == null ? "" : "," + extra) + "}");
        return expect("subscribed");
    }

    @Override
    public void close() {
        if (connection != null && connection.isOpen()) {
            connection.closeAndAwait();
        }
    }
}
