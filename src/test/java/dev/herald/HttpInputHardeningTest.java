package dev.herald;

import static dev.herald.support.HttpApi.historyIds;
import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.support.Management;
import dev.herald.support.Metrics;
import dev.herald.support.RawHttp;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Attacks on the HTTP input path (issue 13): slow and oversized bodies, request smuggling, path tricks,
 * ambiguous JSON, and requests that used to flood the log. Each test is named after what it stops.
 */
@QuarkusTest
class HttpInputHardeningTest {

    static final String ADMIN = TestTokens.admin();
    /** Bounded: enough to exhaust the 200 worker threads that used to read publish bodies. */
    static final int SLOW_CLIENTS = 250;
    static final Duration ANSWER = Duration.ofSeconds(5);

    @TestHTTPResource("/")
    URI base;

    private static String post(String path, String token, String headers, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + headers + "\r\n" + body;
    }

    private static String chunked(String body) {
        return Integer.toHexString(body.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + body + "\r\n0\r\n\r\n";
    }

    /** Readiness, liveness and an authenticated publish on fresh connections, each answered. */
    private void nodeStillServes(String why) throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(ANSWER).build()) {
            for (String path : List.of("/q/health/ready", "/q/health/live")) {
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(Management.base().resolve(path)).timeout(ANSWER)
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), path + " " + why);
            }
            String topic = topic("others");
            HttpResponse<String> publish = client.send(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic + "/events"))
                    .timeout(ANSWER).header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\":1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, publish.statusCode(), "publish " + why);
            HttpResponse<String> history = client.send(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic + "/events"))
                    .timeout(ANSWER).header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, history.statusCode(), "history " + why);
        }
    }

    // ---- slow bodies (defect 1) ----

    @Test
    void slowBodiesWithoutATokenAreRefusedBeforeTheirBodyAndCannotStallTheNode() throws Exception {
        List<RawHttp> slow = new ArrayList<>();
        try {
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                slow.add(RawHttp.connect(base).send(post("/v1/topics/" + topic("slow") + "/events", null,
                        "Content-Length: 1000\r\n", "{\"da")));
            }
            nodeStillServes("while " + SLOW_CLIENTS + " unauthenticated bodies hang");
            for (RawHttp client : slow) {
                RawHttp.Answer answer = client.read(ANSWER);
                assertEquals(401, answer.status(), "the token is checked before the body is read: " + answer.text());
                assertTrue(answer.closed(), "the connection of a refused, unread body is closed");
            }
        } finally {
            slow.forEach(RawHttp::close);
        }
    }

    @Test
    void aHugeDeclaredBodyWithoutATokenIsRefusedAtOnce() {
        try (RawHttp client = RawHttp.connect(base)) {
            RawHttp.Answer answer = client.send(post("/v1/topics/" + topic("huge") + "/events", null,
                    "Content-Length: 1000000\r\n", "{\"da")).readResponse(ANSWER);
            assertEquals(401, answer.status(), answer.text());
        }
    }

    @Test
    void slowAuthorizedBodiesAreAnswered408AndClosedAndHoldUpNothingElse() throws Exception {
        double timeoutsBefore = Metrics.value("herald_http_refused_total", "reason", "body-timeout");
        List<RawHttp> slow = new ArrayList<>();
        String topic = topic("slow");
        try {
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                slow.add(RawHttp.connect(base).send(post("/v1/topics/" + topic + "/events", ADMIN,
                        "Content-Length: 1000\r\n", "{\"da")));
            }
            nodeStillServes("while " + SLOW_CLIENTS + " authorized bodies hang");
            for (RawHttp client : slow) {
                // herald.publish.body-timeout is 3s in tests
                RawHttp.Answer answer = client.read(Duration.ofSeconds(10));
                assertEquals(408, answer.status(), answer.text());
                assertTrue(answer.text().contains("application/problem+json"), answer.text());
                assertTrue(answer.closed(), "a timed-out body's connection is closed");
            }
        } finally {
            slow.forEach(RawHttp::close);
        }
        assertEquals(List.of(), historyIds(topic));
        // At least these (a body left hanging by an earlier test may time out meanwhile).
        double timeouts = Metrics.value("herald_http_refused_total", "reason", "body-timeout") - timeoutsBefore;
        assertTrue(timeouts >= SLOW_CLIENTS, "body timeouts counted: " + timeouts);
    }

    @Test
    void chunkedBodiesOverTheLimitAreRefused413WithAProblem() {
        String topic = topic("chunky");
        for (int size : new int[] {1536 * 1024, 3 * 1024 * 1024}) {
            String body = "{\"data\":\"" + "x".repeat(size) + "\"}";
            try (RawHttp client = RawHttp.connect(base)) {
                RawHttp.Answer answer = client.send(post("/v1/topics/" + topic + "/events", ADMIN,
                        "Transfer-Encoding: chunked\r\n", chunked(body))).read(ANSWER);
                assertEquals(413, answer.status(), answer.text().substring(0, Math.min(300, answer.text().length())));
                assertTrue(answer.text().contains("urn:herald:problem:payload-too-large"), answer.text());
            }
        }
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void aClientThatExpectsContinueIsToldToSendOnlyOnceAuthorized() {
        String topic = topic("continue");
        try (RawHttp client = RawHttp.connect(base)) {
            String head = post("/v1/topics/" + topic + "/events", null, "Content-Length: 10\r\nExpect: 100-continue\r\n", "");
            RawHttp.Answer refused = client.send(head).readResponse(ANSWER);
            assertEquals(401, refused.status(), "no 100 Continue before the token is checked: " + refused.text());
        }
        try (RawHttp client = RawHttp.connect(base)) {
            String head = post("/v1/topics/" + topic + "/events", ADMIN, "Content-Length: 10\r\nExpect: 100-continue\r\n", "");
            RawHttp.Answer proceed = client.send(head).readResponse(ANSWER);
            assertEquals(100, proceed.status(), proceed.text());
            RawHttp.Answer accepted = client.send("{\"data\":1}").readResponse(ANSWER);
            assertTrue(accepted.text().startsWith("HTTP/1.1 202"), accepted.text());
        }
        assertEquals(1, historyIds(topic).size());
    }

    // ---- request smuggling (defect 5) ----

    @Test
    void contentLengthWithChunkedCannotSmuggleASecondRequest() {
        String topic = topic("smuggle");
        String smuggled = "{\"data\":\"smuggled\"}";
        String second = post("/v1/topics/" + topic + "/events", ADMIN, "Content-Length: " + smuggled.length() + "\r\n", smuggled);
        try (RawHttp client = RawHttp.connect(base)) {
            RawHttp.Answer answer = client.send(post("/v1/topics/" + topic + "/events", ADMIN,
                    "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", chunked("{\"data\":\"first\"}")) + second)
                    .read(ANSWER);
            assertEquals(1, answer.responses(), "one answer, the smuggled request never runs: " + answer.text());
            assertTrue(answer.closed(), "the connection closes after a chunked request");
        }
        Response history = given().auth().oauth2(ADMIN).get("/v1/topics/" + topic + "/events");
        assertFalse(history.asString().contains("smuggled"), history.asString());
    }

    @Test
    void transferCodingsOtherThanChunkedAreRefused400AndClosed() {
        String topic = topic("smuggle");
        String body = chunked("{\"data\":1}");
        for (String framing : List.of("Transfer-Encoding: chunked, identity\r\n",
                "Transfer-Encoding: identity\r\n",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")) {
            try (RawHttp client = RawHttp.connect(base)) {
                RawHttp.Answer answer = client.send(post("/v1/topics/" + topic + "/events", ADMIN, framing, body))
                        .read(ANSWER);
                assertEquals(400, answer.status(), framing + answer.text());
                assertTrue(answer.text().contains("urn:herald:problem:ambiguous-framing"), answer.text());
                assertTrue(answer.closed(), framing);
            }
        }
        try (RawHttp client = RawHttp.connect(base)) {
            RawHttp.Answer answer = client.send(post("/v1/topics/" + topic + "/events", ADMIN,
                    "Transfer-Encoding: chunked\r\n", body).replace("HTTP/1.1", "HTTP/1.0")).read(ANSWER);
            assertEquals(400, answer.status(), "chunked is not HTTP/1.0: " + answer.text());
        }
        assertEquals(List.of(), historyIds(topic));
    }

    // ---- paths and topics ----

    @Test
    void dotSegmentsAreRefusedNotResolvedToAnotherResource() {
        String topic = topic("dots");
        String batch = "{\"events\":[{\"topic\":\"" + topic + "\",\"data\":1}]}";
        for (String path : List.of("/v1/topics/../events", "/v1/topics/%2e%2e/events", "/v1/topics/%2E%2E/events",
                "/v1/./events")) {
            try (RawHttp client = RawHttp.connect(base)) {
                RawHttp.Answer answer = client.send(post(path, ADMIN, "Content-Length: " + batch.length() + "\r\n", batch))
                        .readResponse(ANSWER);
                assertEquals(400, answer.status(), path + " " + answer.text());
                assertTrue(answer.text().contains("urn:herald:problem:invalid-path"), answer.text());
            }
        }
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void aMatrixParameterIsPartOfTheTopicNameAndSoInvalid() {
        String topic = topic("matrix");
        given().auth().oauth2(ADMIN).contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/" + topic + ";x=1/events").then().statusCode(400);
        assertEquals(List.of(), historyIds(topic));
    }

    // ---- ambiguous JSON ----

    @Test
    void aFieldNamedTwiceIsRefusedSoNoTwoParsersCanDisagree() {
        String topic = topic("dup");
        given().auth().oauth2(ADMIN).contentType("application/json").body("{\"data\":1,\"data\":2}")
                .post("/v1/topics/" + topic + "/events").then().statusCode(400);
        given().auth().oauth2(ADMIN).contentType("application/json")
                .body("{\"events\":[{\"topic\":\"" + topic + "\",\"topic\":\"elsewhere\",\"data\":1}]}")
                .post("/v1/events").then().statusCode(400);
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void aWebSocketMessageNamingAFieldTwiceIsRefusedNotReadLastWins() {
        String topic = topic("dupws");
        try (WsClient ws = WsClient.to(base).bearer(ADMIN).connect()) {
            ws.send("{\"op\":\"ping\",\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":1}");
            JsonNode error = ws.expect("error");
            assertEquals("invalid", error.get("code").asText(), error.toString());
        }
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void aLoneSurrogateIsRefusedRatherThanStoredAsAQuestionMark() {
        String topic = topic("surrogate");
        given().auth().oauth2(ADMIN).contentType("application/json").body("{\"data\":\"a\\ud800b\"}")
                .post("/v1/topics/" + topic + "/events").then().statusCode(400);
        // A proper pair is text, and is stored as sent.
        given().auth().oauth2(ADMIN).contentType("application/json").body("{\"data\":\"\\ud83d\\ude00\"}")
                .post("/v1/topics/" + topic + "/events").then().statusCode(202);
        assertEquals("\ud83d\ude00", given().auth().oauth2(ADMIN).get("/v1/topics/" + topic + "/events")
                .jsonPath().getString("events[0].data"));
    }

    @Test
    void anEmptyIdempotencyKeyIsRefusedNotTakenForNone() {
        String topic = topic("key");
        given().auth().oauth2(ADMIN).contentType("application/json").header("Idempotency-Key", "").body("{\"data\":1}")
                .post("/v1/topics/" + topic + "/events").then().statusCode(400);
        assertEquals(List.of(), historyIds(topic));
    }

    // ---- the log is not the attacker's (defect 11) ----

    @Test
    void requestsWithoutHostOrCutOffMidBodyAreNotLoggedAsErrors() throws IOException {
        Path log = Path.of("target/herald-test.log");
        long before = Files.exists(log) ? Files.size(log) : 0;
        for (int i = 0; i < 20; i++) {
            try (RawHttp client = RawHttp.connect(base)) {
                RawHttp.Answer answer = client.send("GET /v1/stats HTTP/1.1\r\n\r\n").readResponse(ANSWER);
                assertEquals(400, answer.status(), answer.text());
                assertTrue(answer.text().contains("application/problem+json"), answer.text());
            }
            try (RawHttp client = RawHttp.connect(base)) {
                client.send(post("/v1/topics/" + topic("cut") + "/events", ADMIN, "Content-Length: 1000\r\n", "{\"data\":"));
            }
        }
        nodeStillServesQuietly();
        String all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        // The log starts afresh when another test's application starts: then all of it is new.
        String written = all.length() >= before ? all.substring((int) before) : all;
        assertFalse(written.contains(" ERROR "), "client mistakes logged as errors:\n"
                + written.lines().filter(l -> l.contains(" ERROR ")).limit(5).toList());
    }

    private void nodeStillServesQuietly() {
        Management.given().get("/q/health/live").then().statusCode(200);
    }
}
