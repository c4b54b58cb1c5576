package dev.herald.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The node's connection limit (2 here) counts SSE streams and WebSockets together: beyond it a stream
 * is told to retry later (a 200 with retry:, so EventSource comes back) and a WebSocket is closed with
 * 4029; a place freed is taken again.
 */
@QuarkusTest
@TestProfile(ConnectionLimitTest.TwoConnections.class)
class ConnectionLimitTest {

    public static class TwoConnections implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.subscriber.max-connections", "2");
        }
    }

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    @Test
    void sseAndWebSocketShareTheNodeLimitAndFreedPlacesAreReused() {
        SseClient sse = SseClient.open(base, List.of("limit:a"), ADMIN, null);
        assertNotNull(sse.preamble(WAIT).id(), "first: a stream");
        WsClient ws = WsClient.to(base).bearer(ADMIN).connect();
        ws.subscribe("[\"limit:a\"]", null);

        try (SseClient third = SseClient.open(base, List.of("limit:a"), ADMIN, null)) {
            assertEquals(200, third.status(), "EventSource gives up on anything but 200");
            SseClient.Frame frame = third.next(WAIT);
            assertNotNull(frame.retry(), "told when to come back");
            assertNull(frame.id(), "no position: the client keeps its own");
            org.awaitility.Awaitility.await().atMost(WAIT).until(third::ended);
        }
        try (WsClient fourth = WsClient.to(base).bearer(ADMIN).connect()) {
            assertEquals(4029, fourth.awaitClose().getCode());
        }

        sse.close();
        org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> {
            try (WsClient again = WsClient.to(base).bearer(ADMIN).connect()) {
                again.send("{\"op\":\"ping\"}");
                assertEquals("pong", again.next(WAIT).path("type").asText());
                assertTrue(again.isOpen());
            }
        });
        ws.close();
    }
}
