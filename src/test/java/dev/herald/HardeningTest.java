package dev.herald;

import static dev.herald.support.HttpApi.historyIds;
import static dev.herald.support.HttpApi.publish;
import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.PollClient;
import dev.herald.support.SseClient;
import dev.herald.support.RawWebSocket;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regressions for attacks on the gateway, one test per attack, named by what it stops (in the spirit
 * of Mercure's hardening_test.go). Each refused request is followed by a check that nothing was
 * published: the topic's history is empty and the published-events counter did not move.
 */
@QuarkusTest
class HardeningTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    private double publishedBefore;

    @BeforeEach
    void countPublished() {
        publishedBefore = Metrics.published();
    }

    /** Tests that expect a publish set this; every other test must leave the counter alone. */
    private int expectedPublishes;

    @AfterEach
    void nothingElseWasPublished() {
        assertEquals(publishedBefore + expectedPublishes, Metrics.published(),
                "events were published by a request that should have been refused");
    }

    private HttpResponse<String> rawPost(String path, String contentType, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static void assertProblem(HttpResponse<String> response, int status) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
                "not a problem: " + response.headers().firstValue("Content-Type"));
        assertEquals(status, JsonPath.from(response.body()).getInt("status"));
    }

    private static String resetReason(SseClient.Frame frame) {
        assertEquals("herald.reset", frame.event(), "expected a reset, got " + frame);
        return JsonPath.from(frame.data()).getString("reason");
    }

    // ---- SSE frame injection ----

    @Test
    void crLfInEventTypeIsRefusedSoItCannotInjectSseFields() {
        String topic = topic("room");
        for (String type : List.of("msg\\r\\nevent: evil", "msg\\nid: 1", "msg\\revil")) {
            publish(ADMIN, topic, "{\"type\":\"" + type + "\",\"data\":1}").then().statusCode(400)
                    .contentType("application/problem+json");
        }
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void crLfInsideDataStringsCannotBreakTheSseFrame() {
        String topic = topic("room");
        String evil = "\\r\\n\\r\\nid: forged\\nevent: evil\\ndata: {\\\"pwned\\\":true}\\r\\n\\r\\n";
        try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, null)) {
            sse.preamble(WAIT);
            String id = HttpApi.publishOk(ADMIN, topic, "msg",
                    "{\"text\":\"" + evil + "\",\"list\":[\"a\\nb\",\"\\r\"]}");
            String sentinel = HttpApi.publishOk(ADMIN, topic, "sentinel", "1");
            expectedPublishes = 2;

            SseClient.Frame frame = sse.expectEvent(WAIT);
            assertEquals(1, frame.linesOf("data").size(), "one data: line: " + frame.lines());
            assertEquals(List.of("event: msg"), frame.linesOf("event"));
            assertEquals(1, frame.linesOf("id").size());
            assertEquals(3, frame.lines().size(), "id, event, data and nothing else: " + frame.lines());
            JsonPath data = JsonPath.from(frame.data());
            assertEquals(id, data.getString("id"));
            assertEquals("\r\n\r\nid: forged\nevent: evil\ndata: {\"pwned\":true}\r\n\r\n", data.getString("data.text"));
            // The next frame on the wire is the next published event: nothing was injected in between.
            SseClient.Frame next = sse.expectEvent(WAIT);
            assertEquals("sentinel", next.event());
            assertEquals(sentinel, JsonPath.from(next.data()).getString("id"));
        }
    }

    @Test
    void crLfInTopicNameIsRefused() {
        String topic = topic("room");
        given().urlEncodingEnabled(false).header("Authorization", "Bearer " + ADMIN)
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/" + topic + "%0D%0Aevent:%20evil/events")
                .then().statusCode(400).contentType("application/problem+json");
        try (SseClient sse = SseClient.open(base, List.of(topic + "\r\nevent: evil"), ADMIN, null)) {
            assertEquals(400, sse.status());
        }
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void crLfInLastEventIdQueryIsAnInvalidCursorNotAnInjection() {
        String topic = topic("room");
        String cursor;
        try (SseClient first = SseClient.open(base, List.of(topic), ADMIN, null)) {
            cursor = first.preamble(WAIT).id();
        }
        try (SseClient sse = SseClient.request(base, List.of(topic)).token(ADMIN)
                .query("lastEventId", cursor + "\r\n\r\nevent: evil\r\ndata: {}\r\n\r\n").open()) {
            assertEquals(200, sse.status());
            sse.preamble(WAIT);
            SseClient.Frame reset = sse.expectEvent(WAIT);
            assertEquals("invalid-cursor", resetReason(reset));
            assertEquals(List.of(topic), JsonPath.from(reset.data()).getList("topics"));
            assertEquals(1, reset.linesOf("data").size());
            // Still live, and no injected "evil" event in front of the next real one.
            HttpApi.publishOk(ADMIN, topic, "msg", "1");
            expectedPublishes = 1;
            assertEquals("msg", sse.expectEvent(WAIT).event());
        }
    }

    @Test
    void crInLastEventIdHeaderIsAnInvalidCursorNotAnInjection() {
        String topic = topic("room");
        // A raw CR inside a header value: HttpURLConnection refuses to send it, so over a plain socket.
        // (A raw LF would only end the header line: the rest becomes a header of its own, not a cursor.)
        try (SseClient sse = SseClient.request(base, List.of(topic)).token(ADMIN)
                .lastEventId("AQ\revent: evil").openRaw()) {
            if (sse.status() == 400) {
                return; // refused by the HTTP parser: nothing to inject into
            }
            assertEquals(200, sse.status());
            sse.preamble(WAIT);
            assertEquals("invalid-cursor", resetReason(sse.expectEvent(WAIT)));
            HttpApi.publishOk(ADMIN, topic, "msg", "1");
            expectedPublishes = 1;
            assertEquals("msg", sse.expectEvent(WAIT).event());
        }
    }

    // ---- long polling ----

    @Test
    void crLfInAPollCursorIsAnInvalidCursorAndNeverReachesTheAnswer() {
        String topic = topic("room");
        String cursor = PollClient.to(base, List.of(topic)).token(ADMIN).timeout(0).send().ok().cursor();
        PollClient.Answer answer = PollClient.to(base, List.of(topic)).token(ADMIN).timeout(0)
                .cursor(cursor + "\r\n\r\n{\"events\":[{\"evil\":true}]}").send().ok();
        assertTrue(answer.header("Content-Type").startsWith("application/json"));
        assertEquals(1, answer.events().size(), answer.body());
        assertEquals("herald.reset", answer.events().get(0).get("type"));
        assertEquals("invalid-cursor", answer.json().getString("events[0].data.reason"));
        assertTrue(!answer.body().contains("evil") && !answer.body().contains("\n") && !answer.body().contains("\r"),
                answer.body());
        assertTrue(answer.cursor().matches("[A-Za-z0-9_-]+"), "the answer's cursor is the server's own: " + answer.cursor());
    }

    @Test
    void anOversizedPollCursorIsRefusedAndALongForgedOneIsAnInvalidCursorNotEchoed() {
        String topic = topic("room");
        // Over the HTTP server's request line limit (20 KiB): refused before it reaches Herald.
        PollClient.Answer tooLong = PollClient.to(base, List.of(topic)).token(ADMIN).timeout(0)
                .cursor("A".repeat(21_000)).send();
        assertEquals(414, tooLong.status());
        // Longer than any cursor (4 KiB) but within the line: refused as a cursor, and not copied.
        PollClient.Answer answer = PollClient.to(base, List.of(topic)).token(ADMIN).timeout(0)
                .cursor("A".repeat(5000)).send().ok();
        assertEquals("invalid-cursor", answer.json().getString("events[0].data.reason"));
        assertTrue(answer.body().length() < 500, "the forged cursor is echoed: " + answer.body().length());
    }

    @Test
    void aPollTimeoutThatIsNotWholeSecondsIs400WithoutEchoingIt() {
        String topic = topic("room");
        for (String timeout : List.of("abc", "99999999999999999999", "1\r\nX-Evil: 1", "-0", "NaN")) {
            PollClient.Answer answer = PollClient.to(base, List.of(topic)).token(ADMIN).query("timeout", timeout).send();
            assertEquals(400, answer.status(), timeout);
            assertTrue(answer.header("Content-Type").startsWith("application/problem+json"));
            String detail = answer.json().getString("detail");
            assertTrue(detail.contains("whole seconds from 0 to 60") && !detail.contains(timeout), detail);
            assertNull(answer.header("X-Evil"));
        }
    }

    @Test
    void crLfInAPollTopicIs400WithoutEchoingIt() {
        PollClient.Answer answer = PollClient.to(base, List.of("room\r\nX-Evil: 1")).token(ADMIN).timeout(0).send();
        assertEquals(400, answer.status());
        assertTrue(!answer.body().contains("\n") && !answer.body().contains("\r"), answer.body());
        assertNull(answer.header("X-Evil"));
    }

    @Test
    void aMalformedPercentEncodingInAPollIs400() throws IOException {
        // java.net.URI refuses to build this request: over a plain socket.
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.getOutputStream().write(("GET /v1/poll?timeout=0&topic=room%ZZ HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + ADMIN + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String reply = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(reply.startsWith("HTTP/1.1 400"), reply);
        }
    }

    // ---- malformed bodies ----

    @Test
    void malformedJsonIsRefusedWithAProblem() throws Exception {
        String topic = topic("room");
        for (String body : List.of("{\"data\":", "{data:1}", "{\"data\":1}}", "{\"data\":1,}", "\u0000")) {
            assertProblem(rawPost("/v1/topics/" + topic + "/events", "application/json", body), 400);
        }
        assertProblem(rawPost("/v1/events", "application/json", "{\"events\":[{"), 400);
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void emptyBodyIsRefused() throws Exception {
        String topic = topic("room");
        assertProblem(rawPost("/v1/topics/" + topic + "/events", "application/json", ""), 400);
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void jsonThatIsNotAnObjectIsRefused() throws Exception {
        String topic = topic("room");
        for (String body : List.of("[{\"data\":1}]", "\"data\"", "42", "null", "true")) {
            assertProblem(rawPost("/v1/topics/" + topic + "/events", "application/json", body), 400);
            assertProblem(rawPost("/v1/events", "application/json", body), 400);
        }
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void unknownFieldsAreRefusedSoTyposAndSmuggledFieldsFailLoudly() throws Exception {
        String topic = topic("room");
        assertProblem(rawPost("/v1/topics/" + topic + "/events", "application/json",
                "{\"data\":1,\"id\":\"9999999999999-0\"}"), 400);
        assertProblem(rawPost("/v1/topics/" + topic + "/events", "application/json",
                "{\"data\":1,\"topic\":\"other\"}"), 400);
        assertProblem(rawPost("/v1/events", "application/json",
                "{\"events\":[{\"topic\":\"" + topic + "\",\"data\":1,\"ts\":1}]}"), 400);
        assertProblem(rawPost("/v1/events", "application/json",
                "{\"events\":[{\"topic\":\"" + topic + "\",\"data\":1}],\"extra\":true}"), 400);
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void wrongContentTypeIsRefusedWith415() throws Exception {
        String topic = topic("room");
        assertProblem(rawPost("/v1/topics/" + topic + "/events", "text/plain", "{\"data\":1}"), 415);
        assertProblem(rawPost("/v1/topics/" + topic + "/events", "application/x-www-form-urlencoded",
                "{\"data\":1}"), 415);
        assertProblem(rawPost("/v1/events", "text/plain",
                "{\"events\":[{\"topic\":\"" + topic + "\",\"data\":1}]}"), 415);
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void missingContentTypeIsRefusedWith415() throws Exception {
        // A form post from another site cannot set application/json without a CORS preflight.
        String topic = topic("room");
        assertProblem(rawPost("/v1/topics/" + topic + "/events", null, "{\"data\":1}"), 415);
        assertProblem(rawPost("/v1/events", null, "{\"events\":[{\"topic\":\"" + topic + "\",\"data\":1}]}"), 415);
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void bodyOverTheMaximumSizeIsRefusedWith413BeforeItIsRead() throws Exception {
        String topic = topic("room");
        String huge = "{\"data\":\"" + "x".repeat(1024 * 1024 + 512 * 1024) + "\"}";
        HttpResponse<String> response;
        try {
            response = rawPost("/v1/topics/" + topic + "/events", "application/json", huge);
        } catch (IOException e) {
            throw new AssertionError("the server should answer 413, not drop the connection", e);
        }
        assertProblem(response, 413);
        assertEquals(List.of(), historyIds(topic));
    }

    // ---- topic names ----

    @Test
    void invalidTopicNamesAreRefusedOnPublish() {
        List<String> paths = new ArrayList<>(List.of(
                "/v1/topics/room%20general/events",
                "/v1/topics/room:*/events",
                "/v1/topics/*/events",
                "/v1/topics/" + "a".repeat(201) + "/events",
                "/v1/topics//events",
                "/v1/topics/room:caf%C3%A9/events",
                "/v1/topics/%2Froom/events",
                "/v1/topics/-room/events",
                "/v1/topics/room%22%7D/events"));
        for (String path : paths) {
            int status = given().urlEncodingEnabled(false).header("Authorization", "Bearer " + ADMIN)
                    .contentType("application/json").body("{\"data\":1}").post(path).then().extract().statusCode();
            assertTrue(status == 400 || status == 404, path + " answered " + status);
        }
        // The longest valid name is fine.
        String longest = "a".repeat(200);
        int before = historyIds(longest).size();
        publish(ADMIN, longest, "{\"data\":1}").then().statusCode(202);
        expectedPublishes = 1;
        assertEquals(before + 1, historyIds(longest).size());
    }

    @Test
    void invalidTopicNamesAreRefusedOnSubscribe() {
        for (String topic : List.of("room general", "room:*", "*", "a".repeat(201), "", "room:café")) {
            try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, null)) {
                assertEquals(400, sse.status(), "topic '" + topic + "'");
                assertTrue(sse.header("Content-Type").startsWith("application/problem+json"));
            }
        }
    }

    @Test
    void invalidTopicInABatchRefusesTheWholeBatch() {
        String topic = topic("room");
        HttpApi.publishBatch(ADMIN, "{\"events\":[{\"topic\":\"" + topic + "\",\"data\":1},"
                + "{\"topic\":\"room:*\",\"data\":2}]}").then().statusCode(400);
        assertEquals(List.of(), historyIds(topic));
    }

    // ---- subscription limits ----

    @Test
    void subscriptionToTooManyTopicsIsRefused() {
        List<String> topics = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            topics.add(topic("room"));
        }
        try (SseClient sse = SseClient.open(base, topics, ADMIN, null)) {
            assertEquals(400, sse.status());
            assertTrue(sse.header("Content-Type").startsWith("application/problem+json"));
        }
        try (SseClient sse = SseClient.open(base, topics.subList(0, 64), ADMIN, null)) {
            assertEquals(200, sse.status());
        }
    }

    @Test
    void subscriptionWithoutATopicIsRefused() {
        try (SseClient sse = SseClient.open(base, List.of(), ADMIN, null)) {
            assertEquals(400, sse.status());
            assertTrue(sse.header("Content-Type").startsWith("application/problem+json"));
        }
    }

    // ---- spoofing server events ----

    @Test
    void reservedHeraldEventTypeFromAPublisherIsRefused() {
        String topic = topic("room");
        for (String type : List.of("herald.reset", "herald.shutdown", "herald.join", "herald.")) {
            publish(ADMIN, topic, "{\"type\":\"" + type + "\",\"data\":{\"reason\":\"invalid-cursor\"}}")
                    .then().statusCode(400).contentType("application/problem+json");
        }
        HttpApi.publishBatch(ADMIN, "{\"events\":[{\"topic\":\"" + topic + "\",\"type\":\"herald.reset\",\"data\":1}]}")
                .then().statusCode(400);
        assertEquals(List.of(), historyIds(topic));
    }

    // ---- cursors ----

    @Test
    void oversizedCursorIsAnInvalidCursorAndTheStreamGoesOnLive() {
        String topic = topic("room");
        try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, "A".repeat(5000))) {
            assertEquals(200, sse.status());
            SseClient.Frame preamble = sse.preamble(WAIT);
            // The new position comes with the reset, never before it: a client that drops the stream
            // between the two must not resume past the reset without having seen it.
            org.junit.jupiter.api.Assertions.assertNull(preamble.id(), "the preamble names no position before a reset");
            SseClient.Frame reset = sse.expectEvent(WAIT);
            assertEquals("invalid-cursor", resetReason(reset));
            assertNotNull(reset.id(), "the reset carries the position to resume from");
            String id = HttpApi.publishOk(ADMIN, topic, "msg", "1");
            expectedPublishes = 1;
            SseClient.Frame live = sse.expectEvent(WAIT);
            assertEquals(id, JsonPath.from(live.data()).getString("id"));
        }
    }

    @Test
    void forgedCursorIsAnInvalidCursor() {
        String topic = topic("room");
        for (String forged : List.of("not a cursor!", "AgAAAA", "AQAA", "Zm9v", "AQ==")) {
            try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, forged)) {
                assertEquals(200, sse.status());
                sse.preamble(WAIT);
                assertEquals("invalid-cursor", resetReason(sse.expectEvent(WAIT)), forged);
            }
        }
    }

    @Test
    void errorDetailsNeverEchoLongOrControlCharacterInput() {
        String marker = "INJECTED" + "x".repeat(300);
        String body = given().urlEncodingEnabled(false).header("Authorization", "Bearer " + ADMIN)
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/a%0Ab" + marker + "/events").then().statusCode(400).extract().asString();
        assertTrue(!body.contains(marker) && !body.contains("\n"), body);
        assertNotEquals(-1, body.indexOf("invalid topic"));
        assertNull(JsonPath.from(body).get("stack"));
    }

    // ---- WebSocket abuse ----

    private WsClient ws(String token) {
        return WsClient.to(base).bearer(token).connect();
    }

    @Test
    void wsMessageOverTheSizeLimitClosesWith1009AndPublishesNothing() {
        String topic = topic("room");
        try (WsClient ws = ws(ADMIN)) {
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":\"" + "x".repeat(70_000) + "\"}");
            assertEquals(1009, ws.awaitClose().getCode());
        }
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void wsConnectionsPerUserAreCappedWith4029() {
        String user = TestTokens.token("capped-" + java.util.UUID.randomUUID(), List.of("*"), List.of());
        List<WsClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                WsClient c = ws(user);
                c.send("{\"op\":\"ping\"}");
                c.expect("pong");
                open.add(c);
            }
            try (WsClient sixth = ws(user)) {
                assertEquals(4029, sixth.awaitClose().getCode());
            }
            open.remove(0).close();
            org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> {
                // A fresh connection per try: one refused while the count was not yet released is closed.
                WsClient again = ws(user);
                open.add(again);
                again.send("{\"op\":\"ping\"}");
                again.expect("pong");
            });
        } finally {
            open.forEach(WsClient::close);
        }
    }

    @Test
    void wsPublishFloodIsRateLimitedThenClosed() {
        String topic = topic("room");
        int acks = 0;
        int limited = 0;
        try (WsClient ws = ws(ADMIN)) {
            for (int i = 0; i < 150 && ws.isOpen(); i++) {
                ws.trySend("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":" + i + "}");
            }
            assertEquals(4029, ws.awaitClose().getCode(), "sustained abuse ends the connection");
            for (JsonNode m = ws.poll(Duration.ofMillis(200)); m != null; m = ws.poll(Duration.ofMillis(200))) {
                if (m.path("type").asText().equals("ack")) {
                    acks++;
                } else if (m.path("code").asText().equals("rate-limited")) {
                    limited++;
                }
            }
        }
        expectedPublishes = acks;
        assertTrue(acks >= 40 && acks < 150, "the burst passed, the flood did not: " + acks);
        assertTrue(limited > 0, "rate-limited errors came before the close");
        assertEquals(acks, historyIds(topic).size());
    }

    @Test
    void wsServerPingsAndClosesAClientThatNeverAnswers() {
        try (RawWebSocket raw = RawWebSocket.connect(base, java.util.Map.of("Authorization", "Bearer " + ADMIN), 0)) {
            assertEquals(101, raw.status());
            int pings = 0;
            RawWebSocket.Frame frame;
            while ((frame = raw.read()) != null && frame.opcode() == 9) {
                pings++;
            }
            assertNotNull(frame, "the server closes with a close frame");
            assertEquals(8, frame.opcode());
            assertEquals(4408, frame.closeCode(), "idle timeout");
            assertTrue(pings >= 2, "pinged before giving up: " + pings);
        }
    }

    @Test
    void wsUpgradeFromAForeignOriginIsRefused() {
        // Cross-site WebSocket hijacking: a page on another site riding the user's herald_token cookie.
        String same = "http://" + base.getHost() + ":" + base.getPort();
        java.util.Map<String, String> cookie = java.util.Map.of("Cookie", "herald_token=" + ADMIN);
        try (RawWebSocket evil = RawWebSocket.connect(base, with(cookie, "Origin", "https://evil.example"), 0);
             RawWebSocket own = RawWebSocket.connect(base, with(cookie, "Origin", same), 0);
             RawWebSocket noBrowser = RawWebSocket.connect(base, cookie, 0)) {
            assertEquals(403, evil.status());
            assertEquals(101, own.status());
            assertEquals(101, noBrowser.status());
        }
    }

    private static java.util.Map<String, String> with(java.util.Map<String, String> map, String k, String v) {
        java.util.Map<String, String> copy = new java.util.HashMap<>(map);
        copy.put(k, v);
        return copy;
    }

    @Test
    void wsMalformedMessagesGetErrorsUntilTheThresholdThenClose4400() {
        try (WsClient ws = ws(ADMIN)) {
            ws.send("{not json");
            assertEquals("invalid", ws.expect("error").get("code").asText());
            ws.send("{\"op\":\"explode\",\"ref\":\"r\"}");
            JsonNode unknown = ws.expect("error");
            assertEquals("unknown-op", unknown.get("code").asText());
            assertEquals("r", unknown.get("ref").asText());
            ws.send("{\"op\":\"ping\"}{\"op\":\"ping\"}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "trailing content");
            ws.send("{\"op\":\"ping\",\"extra\":1}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "unknown field");
            ws.send("{\"op\":\"ping\"}");
            ws.expect("pong");
            assertTrue(ws.isOpen(), "errors do not close the connection");
            for (int i = 0; i < 6; i++) {
                ws.send("[]");
                ws.expect("error");
            }
            assertEquals(4400, ws.awaitClose().getCode(), "the tenth invalid message closes it");
        }
    }

    @Test
    void wsPingFloodIsCutOff() {
        // Each ping makes the server write a pong, read or not: a flood must not pile up buffers.
        try (RawWebSocket raw = RawWebSocket.connect(base, java.util.Map.of("Authorization", "Bearer " + ADMIN), 0)) {
            raw.send(9, new byte[] {7});
            RawWebSocket.Frame pong;
            do {
                pong = raw.read();
            } while (pong != null && pong.opcode() == 9);
            assertNotNull(pong);
            assertEquals(10, pong.opcode(), "a ping within the rate is answered");
            for (int i = 0; i < 200; i++) {
                raw.send(9, new byte[] {1});
            }
            assertEquals(4400, raw.awaitCloseCode());
        }
    }

    @Test
    void wsSubscribeChurnIsRateLimited() {
        String topic = topic("room");
        int limited = 0;
        try (WsClient ws = ws(ADMIN)) {
            for (int i = 0; i < 60 && ws.isOpen(); i++) {
                ws.trySend("{\"op\":\"subscribe\",\"topics\":[\"" + topic + "\"],\"cursor\":\"x\"}");
                ws.trySend("{\"op\":\"unsubscribe\",\"topics\":[\"" + topic + "\"]}");
            }
            for (JsonNode m = ws.poll(Duration.ofMillis(300)); m != null; m = ws.poll(Duration.ofMillis(300))) {
                if (m.path("code").asText().equals("rate-limited")) {
                    limited++;
                }
            }
        }
        assertTrue(limited > 0, "subscribe/unsubscribe churn is rate-limited");
    }

    @Test
    void wsBinaryFramesAreRefused() {
        try (RawWebSocket raw = RawWebSocket.connect(base, java.util.Map.of("Authorization", "Bearer " + ADMIN), 0)) {
            raw.sendBinary(new byte[] {1, 2, 3});
            assertEquals(1003, raw.awaitCloseCode());
        }
    }

    @Test
    void wsPublishObeysTheHttpPublishRules() {
        String topic = topic("room");
        try (WsClient ws = ws(ADMIN)) {
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"type\":\"a\\r\\nid: 1\",\"data\":1}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "CR/LF in type");
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"type\":\"herald.reset\",\"data\":1}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "reserved type");
            ws.send("{\"op\":\"publish\",\"topic\":\"bad topic\",\"data\":1}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "invalid topic");
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\"}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "no data");
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":1,\"idempotencyKey\":\"a b\"}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "key with a space");
        }
        assertEquals(List.of(), historyIds(topic));
    }
}
