package dev.herald.ops;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.Management;
import dev.herald.support.RawWebSocket;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The drain in-process (its own application instance, since it leaves the node shut to subscribers):
 * open streams are told to go with their cursor, HTTP answers say {@code Connection: close}, and a
 * subscription arriving during the drain gets a stream that tells it to retry, not a 503 that would
 * stop EventSource for good.
 */
@QuarkusTest
@TestProfile(DrainTest.Draining.class)
class DrainTest {

    public static class Draining implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.shutdown.drain-delay", "0s", "herald.shutdown.spread", "500ms");
        }
    }

    @Inject
    Drain drain;

    @TestHTTPResource("/")
    URI base;

    @Test
    void openStreamsAreToldToGoAndNewOnesToRetryWhileReadinessIsDown() {
        String token = TestTokens.admin();
        SseClient open = SseClient.open(base, List.of("drain:a"), token, null);
        assertNotNull(open.next(Duration.ofSeconds(5)));
        WsClient ws = WsClient.to(base).bearer(token).connect();
        ws.subscribe("[\"drain:a\"]", null);
        assertNull(publish(token).then().statusCode(202).extract().header("Connection"), "keep-alive before the drain");
        drain.drainNow();
        // Publishes are still taken while draining, but their connections are not to be reused: a client
        // with a pooled connection reconnects through the Service to a ready pod.
        publish(token).then().statusCode(202).header("Connection", "close");

        CloseReason wsClose = ws.awaitClose(Duration.ofSeconds(5));
        assertEquals(1001, wsClose.getCode(), "WebSockets are told to go away");
        Matcher hint = Pattern.compile("retry=(\\d+)").matcher(wsClose.getMessage());
        assertTrue(hint.find(), "with a reconnect hint: " + wsClose.getMessage());
        long retry = Long.parseLong(hint.group(1));
        assertTrue(retry >= 2000 && retry <= 2500, "jittered within the spread: " + retry);
        RawWebSocket lateWs = RawWebSocket.connect(base, Map.of(), 0);
        assertEquals(503, lateWs.status(), "no new WebSocket while draining");
        lateWs.close();

        SseClient.Frame goAway = open.nextEvent(Duration.ofSeconds(5));
        assertNotNull(goAway);
        assertEquals("herald.shutdown", goAway.event());
        assertNotNull(goAway.id(), "the open stream's cursor comes with herald.shutdown");
        assertTrue(goAway.retry() >= 2000 && goAway.retry() <= 2500, "retry jittered within the spread: " + goAway.retry());
        await().atMost(Duration.ofSeconds(5)).until(open::ended);
        open.close();

        Management.given().get("/q/health/ready").then().statusCode(503);
        given().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN"));
        given().get("/v1/stats").then().statusCode(200).header("Connection", "close").body("draining", equalTo(true));
        try (SseClient late = SseClient.open(base, List.of("drain:a"), token, "kept-by-the-client")) {
            assertEquals(200, late.status(), "EventSource gives up on a non-200");
            SseClient.Frame shutdown = late.nextEvent(Duration.ofSeconds(5));
            assertEquals("herald.shutdown", shutdown.event());
            assertNotNull(shutdown.retry());
            assertNull(shutdown.id(), "no position: the client keeps its own Last-Event-ID");
            await().atMost(Duration.ofSeconds(5)).until(late::ended);
        }
    }

    private static io.restassured.response.Response publish(String token) {
        return given().header("Authorization", "Bearer " + token).contentType("application/json")
                .body("{\"data\":{}}").post("/v1/topics/drain:b/events");
    }
}
