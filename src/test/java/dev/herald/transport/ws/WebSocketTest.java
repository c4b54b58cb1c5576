package dev.herald.transport.ws;

import static dev.herald.support.HttpApi.publishOk;
import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HttpApi;
import dev.herald.support.JdkWsClient;
import dev.herald.support.Metrics;
import dev.herald.support.RawWebSocket;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The WebSocket protocol of the README ("WebSocket (/v1/ws)"), against the real endpoint (WebSockets Next client). */
@QuarkusTest
class WebSocketTest {

    static final String ADMIN = TestTokens.admin();
    static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URI base;

    private WsClient connect(String token) {
        return WsClient.to(base).bearer(token).connect();
    }

    private static String data(JsonNode eventFrame) {
        return eventFrame.path("event").path("data").toString();
    }

    /**
     * A client's offer of permessage-deflate is declined (WebSockets Next does not negotiate it), and a
     * burst of events, written as ready-made frames in as few writes as the connection allows, reaches
     * the client as whole, unfragmented, uncompressed text frames, in order, each once.
     */
    @Test
    void aBurstOfEventsArrivesAsWholeUncompressedFramesInOrder() throws Exception {
        String topic = topic("burst");
        try (RawWebSocket ws = RawWebSocket.connect(base, Map.of("Authorization", "Bearer " + ADMIN,
                "Sec-WebSocket-Extensions", "permessage-deflate"), 0)) {
            assertEquals(101, ws.status());
            assertFalse(ws.head().toLowerCase().contains("sec-websocket-extensions"), ws.head());
            ws.sendText("{\"op\":\"subscribe\",\"topics\":[\"" + topic + "\"]}");
            assertEquals("subscribed", JSON.readTree(ws.readText().payload()).path("type").asText());
            StringBuilder body = new StringBuilder("{\"events\":[");
            for (int i = 0; i < 200; i++) {
                // Sizes across the 7- and 16-bit length forms, and multi-byte characters.
                body.append(i == 0 ? "" : ",").append("{\"topic\":\"").append(topic)
                        .append("\",\"data\":{\"n\":").append(i).append(",\"s\":\"").append("é".repeat(i % 3 == 0 ? 90 : 1))
                        .append("\"}}");
            }
            List<String> ids = HttpApi.publishBatch(ADMIN, body.append("]}").toString()).then().statusCode(202)
                    .extract().jsonPath().getList("results.id");
            for (int i = 0; i < ids.size(); i++) {
                RawWebSocket.Frame f = ws.readText();
                assertNotNull(f, "connection ended after " + i + " events");
                assertEquals(1, f.opcode());
                assertFalse(f.compressed());
                JsonNode event = JSON.readTree(f.payload());
                assertEquals(ids.get(i), event.path("event").path("id").asText());
                assertEquals(i, event.path("event").path("data").path("n").asInt());
            }
        }
    }

    @Test
    void subscribedCarriesTheStartingCursorAndEventsCarryTheirs() {
        String topic = topic("ws");
        try (WsClient ws = connect(ADMIN)) {
            JsonNode subscribed = ws.subscribe("[\"" + topic + "\"]", "\"ref\":\"s1\"");
            assertEquals("s1", subscribed.get("ref").asText());
            assertEquals(topic, subscribed.get("topics").get(0).asText());
            assertNotNull(subscribed.get("cursor"));
            String id = publishOk(topic, "{\"n\":1}");
            JsonNode event = ws.expect("event");
            assertEquals(id, event.path("event").path("id").asText());
            assertEquals(topic, event.path("event").path("topic").asText());
            assertEquals("{\"n\":1}", data(event));
            assertFalse(event.path("cursor").asText().isEmpty());
        }
    }

    @Test
    void resumesFromItsCursorWithoutGapOrDuplicate() {
        String a = topic("ws");
        String b = topic("ws");
        String cursor;
        try (WsClient ws = connect(ADMIN)) {
            ws.subscribe("[\"" + a + "\",\"" + b + "\"]", null);
            publishOk(a, "1");
            publishOk(b, "2");
            ws.expect("event");
            cursor = ws.expect("event").get("cursor").asText();
        }
        publishOk(b, "3");
        publishOk(a, "4");
        try (WsClient ws = connect(ADMIN)) {
            ws.subscribe("[\"" + a + "\",\"" + b + "\"]", "\"cursor\":\"" + cursor + "\"");
            // Order is per topic; the replay of two topics may interleave either way.
            assertEquals(java.util.Set.of("3", "4"), java.util.Set.of(data(ws.expect("event")), data(ws.expect("event"))));
            publishOk(a, "5");
            assertEquals("5", data(ws.expect("event")));
            assertNull(ws.poll(Duration.ofMillis(300)), "nothing else");
        }
    }

    @Test
    void anUnknownCursorGetsAnExplicitReset() {
        String topic = topic("ws");
        try (WsClient ws = connect(ADMIN)) {
            ws.subscribe("[\"" + topic + "\"]", "\"cursor\":\"not-a-cursor\"");
            JsonNode reset = ws.expect("event");
            assertEquals("herald.reset", reset.path("event").path("type").asText());
            assertEquals("invalid-cursor", reset.path("event").path("data").path("reason").asText());
            assertTrue(reset.has("cursor"), "a reset moves the position: it carries the cursor");
        }
    }

    @Test
    void publishIsAcknowledgedDeliveredAndIdempotent() {
        String topic = topic("room");
        try (WsClient ws = connect(ADMIN)) {
            ws.subscribe("[\"" + topic + "\"]", null);
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"type\":\"chat\",\"data\":{\"text\":\"hi\"},"
                    + "\"idempotencyKey\":\"k1\",\"ref\":7}");
            JsonNode first = ws.awaitMessage(m -> m.path("type").asText().equals("ack"));
            assertEquals(7, first.get("ref").asInt());
            assertFalse(first.get("duplicate").asBoolean());
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"type\":\"chat\",\"data\":{\"text\":\"hi\"},"
                    + "\"idempotencyKey\":\"k1\",\"ref\":8}");
            JsonNode second = ws.awaitMessage(m -> m.path("type").asText().equals("ack"));
            assertEquals(first.get("id").asText(), second.get("id").asText());
            assertTrue(second.get("duplicate").asBoolean());
        }
        List<String> ids = given().header("Authorization", "Bearer " + ADMIN)
                .get("/v1/topics/{t}/events", topic).then().statusCode(200).extract().jsonPath().getList("events.id");
        assertEquals(1, ids.size(), "the duplicate published nothing");
    }

    @Test
    void aPublishWhoseTraceparentIsNotAStringIsRefusedAndPublishesNothing() {
        String topic = topic("traced");
        try (WsClient ws = connect(ADMIN)) {
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":1,\"traceparent\":5,\"ref\":1}");
            JsonNode error = ws.awaitMessage(m -> m.path("type").asText().equals("error"));
            assertEquals("invalid", error.get("code").asText());
            assertEquals(1, error.get("ref").asInt());
            // A string that is no traceparent is ignored, as W3C Trace Context asks of a receiver.
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":2,\"traceparent\":\"00-x\",\"ref\":2}");
            assertEquals(2, ws.awaitMessage(m -> m.path("type").asText().equals("ack")).get("ref").asInt());
        }
        List<Integer> data = given().header("Authorization", "Bearer " + ADMIN)
                .get("/v1/topics/{t}/events", topic).then().statusCode(200).extract().jsonPath().getList("events.data");
        assertEquals(List.of(2), data, "only the second publish stored an event");
    }

    @Test
    void pingIsAnsweredWithPongEchoingRef() {
        try (WsClient ws = connect(ADMIN)) {
            ws.send("{\"op\":\"ping\",\"ref\":\"p\"}");
            assertEquals("p", ws.expect("pong").get("ref").asText());
        }
    }

    @Test
    void authenticatesWithAFirstAuthMessage() {
        String topic = "user:carol";
        String carol = TestTokens.token("carol", List.of(), List.of());
        try (WsClient ws = WsClient.to(base).connect()) {
            ws.send("{\"op\":\"auth\",\"token\":\"" + carol + "\",\"ref\":1}");
            JsonNode ok = ws.expect("authenticated");
            assertEquals("carol", ok.get("subject").asText());
            ws.subscribe("[\"" + topic + "\"]", null);
            publishOk(topic, "\"dm\"");
            assertEquals("\"dm\"", data(ws.expect("event")));
        }
    }

    @Test
    void acceptsTheTokenAsQueryParameterOrCookie() {
        String dave = TestTokens.token("dave", List.of(), List.of());
        try (WsClient query = WsClient.to(base).query("access_token=" + dave).connect();
             WsClient cookie = WsClient.to(base).header("Cookie", "herald_token=" + dave).connect()) {
            query.subscribe("[\"user:dave\"]", null);
            cookie.subscribe("[\"user:dave\"]", null);
        }
    }

    @Test
    void aBadTokenAtTheUpgradeClosesWith4001() {
        for (String bad : List.of(TestTokens.expired("x"), "garbage", TestTokens.foreignKey("x"))) {
            try (WsClient ws = WsClient.to(base).bearer(bad).connect()) {
                assertEquals(4001, ws.awaitClose().getCode(), "token " + bad.substring(0, 5));
            }
        }
    }

    @Test
    void aBadAuthMessageClosesWith4001() {
        try (WsClient ws = WsClient.to(base).connect()) {
            ws.send("{\"op\":\"auth\",\"token\":\"" + TestTokens.tampered("x") + "\"}");
            assertEquals(4001, ws.awaitClose().getCode());
        }
    }

    @Test
    void aSilentUnauthenticatedConnectionIsClosedAfterTheAuthTimeout() {
        try (WsClient ws = WsClient.to(base).connect()) {
            assertEquals(4001, ws.awaitClose().getCode());
        }
    }

    @Test
    void aTokenThatExpiresClosesTheConnectionWith4001() {
        try (WsClient ws = connect(TestTokens.expiringIn("eve", 2))) {
            ws.subscribe("[\"" + topic("ws") + "\"]", null);
            assertEquals(4001, ws.awaitClose().getCode());
        }
    }

    @Test
    void forbiddenAndUnauthorizedSubscriptionsAreErrorsNotClosures() {
        String bob = TestTokens.token("bob", List.of("room:*"), List.of("room:*"));
        try (WsClient ws = connect(bob)) {
            ws.send("{\"op\":\"subscribe\",\"topics\":[\"user:alice\"],\"ref\":1}");
            JsonNode error = ws.expect("error");
            assertEquals("forbidden", error.get("code").asText());
            assertEquals(1, error.get("ref").asInt());
            ws.send("{\"op\":\"publish\",\"topic\":\"user:alice\",\"data\":1,\"ref\":2}");
            assertEquals("forbidden", ws.expect("error").get("code").asText());
            ws.subscribe("[\"room:ok\"]", null);
        }
        try (WsClient anonymous = WsClient.to(base).connect()) {
            anonymous.subscribe("[\"public:news\"]", null);
            anonymous.send("{\"op\":\"subscribe\",\"topics\":[\"room:x\"]}");
            assertEquals("unauthorized", anonymous.expect("error").get("code").asText());
            assertTrue(anonymous.isOpen());
        }
    }

    @Test
    void unsubscribingPartOfASubscriptionKeepsTheRest() {
        String a = topic("ws");
        String b = topic("ws");
        try (WsClient ws = connect(ADMIN)) {
            ws.subscribe("[\"" + a + "\",\"" + b + "\"]", null);
            ws.send("{\"op\":\"unsubscribe\",\"topics\":[\"" + a + "\"],\"ref\":\"u\"}");
            assertEquals("u", ws.expect("unsubscribed").get("ref").asText());
            publishOk(a, "\"gone\"");
            publishOk(b, "\"kept\"");
            assertEquals("\"kept\"", data(ws.expect("event")));
            assertNull(ws.poll(Duration.ofMillis(300)));
            ws.send("{\"op\":\"subscribe\",\"topics\":[\"" + b + "\"]}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "a topic is in one subscription");
        }
    }

    @Test
    void speaksPlainWebSocketToTheJdkClient() {
        String topic = topic("room");
        try (JdkWsClient jdk = JdkWsClient.connect(base, ADMIN)) {
            JsonNode subscribed = jdk.subscribe("[\"" + topic + "\"]", "\"ref\":\"j\"");
            assertEquals("subscribed", subscribed.get("type").asText());
            jdk.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"type\":\"chat\",\"data\":{\"t\":\"ü ✓\"},\"ref\":1}");
            JsonNode event = jdk.awaitEvent("chat");
            assertEquals("ü ✓", event.path("event").path("data").path("t").asText(), "UTF-8 intact");
            assertEquals(1, jdk.awaitMessage(m -> m.path("type").asText().equals("ack")).get("ref").asInt());
            jdk.send("{\"op\":\"ping\"}");
            jdk.awaitMessage(m -> m.path("type").asText().equals("pong"));
        }
        try (JdkWsClient bad = JdkWsClient.connect(base, "not-a-token")) {
            assertEquals(4001, bad.awaitClose(Duration.ofSeconds(10)).code());
        }
    }

    @Test
    void connectionsAndDeliveriesAreCountedUnderTheWsTransport() {
        String topic = topic("ws");
        double delivered = Metrics.value("herald_deliveries_total", "transport=\"ws\"");
        double open = Metrics.value("herald_connections", "transport=\"ws\"");
        try (WsClient ws = connect(ADMIN)) {
            ws.subscribe("[\"" + topic + "\"]", null);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> Metrics.value("herald_connections", "transport=\"ws\"") >= open + 1);
            publishOk(topic, "1");
            ws.expect("event");
            assertEquals(delivered + 1, Metrics.value("herald_deliveries_total", "transport=\"ws\""));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> Metrics.value("herald_connections", "transport=\"ws\"") == open);
    }
}
