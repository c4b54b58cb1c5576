package dev.herald.auth;

import static dev.herald.support.HttpApi.historyIds;
import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.SseClient.TokenIn;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AuthTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @TestHTTPResource("/")
    URI base;

    /** The invalid tokens every endpoint must refuse with 401, each named by the attack or mistake. */
    static Map<String, String> invalidTokens() {
        return Map.of(
                "expired", TestTokens.expired("mallory"),
                "tampered payload", TestTokens.tampered("mallory"),
                "wrong issuer", TestTokens.wrongIssuer("mallory"),
                "signed by a foreign key", TestTokens.foreignKey("mallory"),
                "alg none", TestTokens.algNone("mallory"),
                "garbage", "not-a-jwt");
    }

    private Response publish(String token, TokenIn in, String topic) {
        var spec = given().contentType("application/json").body("{\"data\":1}");
        if (token != null) {
            spec = switch (in) {
                case HEADER -> spec.header("Authorization", "Bearer " + token);
                case COOKIE -> spec.cookie("herald_token", token);
                case QUERY -> spec.queryParam("access_token", token);
            };
        }
        return spec.post("/v1/topics/{topic}/events", topic);
    }

    private SseClient subscribe(String token, TokenIn in, String... topics) {
        return SseClient.request(base, List.of(topics)).token(token, in).open();
    }

    private static void assertUnauthorized(SseClient sse, String token) {
        assertEquals(401, sse.status());
        assertNotNull(sse.header("WWW-Authenticate"));
        assertTrue(sse.header("WWW-Authenticate").startsWith("Bearer"));
        assertTrue(sse.header("Content-Type").startsWith("application/problem+json"), sse.header("Content-Type"));
        assertTrue(sse.errorBody().contains("\"status\":401"), sse.errorBody());
        assertNoTokenIn(sse.errorBody(), token);
    }

    /** Neither the token nor any of its three parts appear in {@code text}. */
    private static void assertNoTokenIn(String text, String token) {
        if (token == null) {
            return;
        }
        assertFalse(text.contains(token), "the token is echoed");
        for (String part : token.split("\\.")) {
            if (part.length() >= 16) {
                assertFalse(text.contains(part), "a part of the token is echoed");
            }
        }
    }

    // ---- missing and invalid tokens ----

    @Test
    void publishWithoutATokenIs401WithChallengeAndProblem() {
        String topic = topic("room");
        publish(null, TokenIn.HEADER, topic).then().statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer"))
                .contentType("application/problem+json")
                .body("status", equalTo(401)).body("type", equalTo("urn:herald:problem:unauthorized"));
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void subscribeWithoutATokenIs401WithChallengeAndProblem() {
        try (SseClient sse = subscribe(null, TokenIn.HEADER, topic("room"))) {
            assertUnauthorized(sse, null);
        }
    }

    @Test
    void publishWithAnInvalidTokenIs401AndNeverEchoesIt() {
        invalidTokens().forEach((what, token) -> {
            String topic = topic("room");
            String body = publish(token, TokenIn.HEADER, topic).then().statusCode(401)
                    .header("WWW-Authenticate", startsWith("Bearer"))
                    .contentType("application/problem+json").extract().asString();
            assertNoTokenIn(body, token);
            assertEquals(List.of(), historyIds(topic), what + " token published");
        });
    }

    @Test
    void subscribeWithAnInvalidTokenIs401AndNeverEchoesIt() {
        invalidTokens().forEach((what, token) -> {
            try (SseClient sse = subscribe(token, TokenIn.HEADER, topic("room"))) {
                assertUnauthorized(sse, token);
            }
        });
    }

    @Test
    void invalidTokensAre401FromCookieAndQueryToo() {
        String token = TestTokens.tampered("mallory");
        for (TokenIn in : List.of(TokenIn.COOKIE, TokenIn.QUERY)) {
            String body = publish(token, in, topic("room")).then().statusCode(401).extract().asString();
            assertNoTokenIn(body, token);
            try (SseClient sse = subscribe(token, in, topic("room"))) {
                assertUnauthorized(sse, token);
            }
        }
    }

    @Test
    void invalidTokenIs401EvenForAPublicTopic() {
        // A broken token is an error, not a silent downgrade to anonymous.
        try (SseClient sse = subscribe(TestTokens.expired("mallory"), TokenIn.HEADER, "public:news")) {
            assertEquals(401, sse.status());
        }
    }

    // ---- rights ----

    @Test
    void publishToATopicOutsideTheTokensClaimsIs403() {
        String token = TestTokens.token("bob", List.of("*"), List.of("room:*"));
        String topic = topic("chat");
        publish(token, TokenIn.HEADER, topic).then().statusCode(403).contentType("application/problem+json")
                .body("status", equalTo(403));
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void subscribeToATopicOutsideTheTokensClaimsIs403() {
        String token = TestTokens.token("bob", List.of("room:*"), List.of("*"));
        try (SseClient sse = subscribe(token, TokenIn.HEADER, topic("chat"))) {
            assertEquals(403, sse.status());
            assertTrue(sse.header("Content-Type").startsWith("application/problem+json"));
            assertNoTokenIn(sse.errorBody(), token);
        }
    }

    @Test
    void subscribingToSeveralTopicsNeedsTheRightToEveryOne() {
        String token = TestTokens.token("bob", List.of("room:*"), List.of());
        try (SseClient sse = subscribe(token, TokenIn.HEADER, topic("room"), topic("chat"))) {
            assertEquals(403, sse.status());
        }
    }

    @Test
    void publishClaimDoesNotGrantSubscribe() {
        String token = TestTokens.token("bob", List.of(), List.of("room:*"));
        String topic = topic("room");
        publish(token, TokenIn.HEADER, topic).then().statusCode(202);
        try (SseClient sse = subscribe(token, TokenIn.HEADER, topic)) {
            assertEquals(403, sse.status());
        }
    }

    @Test
    void subscribeClaimDoesNotGrantPublish() {
        String token = TestTokens.token("bob", List.of("room:*"), List.of());
        String topic = topic("room");
        try (SseClient sse = subscribe(token, TokenIn.HEADER, topic)) {
            assertEquals(200, sse.status());
        }
        publish(token, TokenIn.HEADER, topic).then().statusCode(403);
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void patternClaimsGrantEveryTopicWithThePrefix() {
        String token = TestTokens.token("bob", List.of("room:*"), List.of("room:*"));
        String topic = topic("room");
        try (SseClient sse = subscribe(token, TokenIn.HEADER, topic)) {
            assertEquals(200, sse.status());
            sse.preamble(WAIT);
            publish(token, TokenIn.HEADER, topic).then().statusCode(202);
            assertNotNull(sse.expectEvent(WAIT));
        }
        publish(token, TokenIn.HEADER, topic("rooms")).then().statusCode(403);
    }

    @Test
    void exactClaimGrantsOnlyThatTopic() {
        String topic = topic("room");
        String token = TestTokens.token("bob", List.of(topic), List.of(topic));
        publish(token, TokenIn.HEADER, topic).then().statusCode(202);
        publish(token, TokenIn.HEADER, topic + "x").then().statusCode(403);
    }

    @Test
    void subjectMaySubscribeToItsOwnUserTopicOnly() {
        String alice = TestTokens.token("alice", List.of(), List.of());
        try (SseClient own = subscribe(alice, TokenIn.HEADER, "user:alice")) {
            assertEquals(200, own.status());
        }
        try (SseClient other = subscribe(alice, TokenIn.HEADER, "user:bob")) {
            assertEquals(403, other.status());
        }
        try (SseClient prefix = subscribe(alice, TokenIn.HEADER, "user:alice:secrets")) {
            assertEquals(403, prefix.status());
        }
    }

    @Test
    void anonymousClientMaySubscribeToPublicTopicsOnly() {
        try (SseClient news = subscribe(null, TokenIn.HEADER, "public:news")) {
            assertEquals(200, news.status());
            assertNotNull(news.preamble(WAIT));
        }
        try (SseClient room = subscribe(null, TokenIn.HEADER, "room:x")) {
            assertEquals(401, room.status());
        }
        try (SseClient mixed = subscribe(null, TokenIn.HEADER, "public:news", "room:x")) {
            assertEquals(401, mixed.status());
        }
    }

    @Test
    void anonymousClientMayNotPublishEvenToPublicTopics() {
        String topic = topic("public");
        publish(null, TokenIn.HEADER, topic).then().statusCode(401);
        assertEquals(List.of(), historyIds(topic));
    }

    // ---- where the token comes from ----

    @Test
    void tokenIsAcceptedFromHeaderCookieAndQueryForPublish() {
        String token = TestTokens.token("bob", List.of(), List.of("room:*"));
        for (TokenIn in : TokenIn.values()) {
            String topic = topic("room");
            publish(token, in, topic).then().statusCode(202);
            assertEquals(1, historyIds(topic).size(), in.name());
        }
    }

    @Test
    void tokenIsAcceptedFromHeaderCookieAndQueryForSubscribe() {
        String token = TestTokens.token("bob", List.of("room:*"), List.of());
        for (TokenIn in : TokenIn.values()) {
            String topic = topic("room");
            try (SseClient sse = subscribe(token, in, topic)) {
                assertEquals(200, sse.status(), in.name());
                sse.preamble(WAIT);
                dev.herald.support.HttpApi.publishOk(topic, "1");
                assertNotNull(sse.expectEvent(WAIT), in.name());
            }
        }
    }

    @Test
    void headerTokenTakesPrecedenceOverCookieAndQuery() {
        String good = TestTokens.token("bob", List.of(), List.of("room:*"));
        String topic = topic("room");
        given().contentType("application/json").body("{\"data\":1}")
                .header("Authorization", "Bearer " + good)
                .cookie("herald_token", "garbage").queryParam("access_token", "garbage")
                .post("/v1/topics/{topic}/events", topic).then().statusCode(202);
    }

    // ---- tokens never in logs ----

    @Test
    void tokenInTheQueryNeverReachesTheLogs() throws IOException {
        String valid = TestTokens.token("logcheck", List.of("room:*"), List.of());
        String invalid = TestTokens.foreignKey("logcheck");
        try (SseClient ok = subscribe(valid, TokenIn.QUERY, topic("room"))) {
            assertEquals(200, ok.status());
            ok.preamble(WAIT);
        }
        try (SseClient refused = subscribe(invalid, TokenIn.QUERY, topic("room"))) {
            assertEquals(401, refused.status());
        }
        publish(invalid, TokenIn.QUERY, topic("room")).then().statusCode(401);

        Path target = Path.of("target");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Path> accessLogs = logs(target, "herald-access");
            assertFalse(accessLogs.isEmpty(), "no access log in target/");
            String access = read(accessLogs);
            assertTrue(access.contains("/v1/stream"), "the access log has no request line for /v1/stream");
            assertTrue(access.contains(" 401 "), "the refused request is not in the access log");
        });
        String access = read(logs(target, "herald-access"));
        assertTrue(Files.exists(target.resolve("herald-test.log")), "no application log");
        // herald-test.log and its rotated siblings (herald-test.log.1, ...), in case it rotated meanwhile.
        String app = read(logs(target, "herald-test.log"));
        for (String token : List.of(valid, invalid)) {
            assertNoTokenIn(access, token);
            assertNoTokenIn(app, token);
        }
        assertFalse(access.contains("access_token="), "the query string is logged");
    }

    /** The log files in {@code dir} whose name starts with {@code prefix}. */
    private static List<Path> logs(Path dir, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().contains(".log")).toList();
        }
    }

    private static String read(List<Path> files) {
        StringBuilder all = new StringBuilder();
        for (Path p : files) {
            try {
                all.append(Files.readString(p, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all.toString();
    }

    // ---- dev-only endpoints ----

    @Test
    void devTokenEndpointDoesNotExistOutsideDevMode() {
        given().get("/dev/token?sub=mallory").then().statusCode(404)
                .body(not(containsString("eyJ")));
    }

    @Test
    void aValidTokenWithoutSubjectIsAuthenticatedSoAMissingRightIs403Not401() {
        String token = TestTokens.withoutSubject("billing-service", List.of("billing:*"), List.of("billing:*"));
        String topic = "billing:" + java.util.UUID.randomUUID();
        HttpApi.publish(token, topic, "{\"data\":1}").then().statusCode(202);
        HttpApi.publish(token, "room:" + java.util.UUID.randomUUID(), "{\"data\":1}").then().statusCode(403);
    }

    @Test
    void aStreamEndsWhenItsTokenExpiresWithTheCursorToResumeFrom() {
        String topic = "room:" + java.util.UUID.randomUUID();
        try (SseClient sse = SseClient.open(base, List.of(topic), TestTokens.expiringIn("dave", 2), null)) {
            assertEquals(200, sse.status());
            sse.preamble(Duration.ofSeconds(5));
            SseClient.Frame expired = sse.nextEvent(Duration.ofSeconds(10));
            assertNotNull(expired, "the stream outlived its token");
            assertEquals("herald.token-expired", expired.event());
            assertNotNull(expired.id(), "the cursor to resume from with a fresh token");
            await().atMost(Duration.ofSeconds(5)).until(sse::ended);
        }
    }
}
