package dev.herald.auth;

import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.herald.support.PollClient;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tokens built to break the verifier or the sessions that rest on it (issue 13, defects 8, 9 and 15). */
@QuarkusTest
class TokenHardeningTest {

    @TestHTTPResource("/")
    URI base;

    private static int publish(String token) {
        return given().auth().oauth2(token).contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/" + topic("tok") + "/events").statusCode();
    }

    @Test
    void anAbsurdExpiryIsAnInvalidTokenNotAnInstantlyExpiredSession() {
        for (String exp : List.of("1e16", "10000000000000000", "1e300", "253402300800")) {
            String token = TestTokens.signedPayload(TestTokens.adminClaims(exp, ""));
            assertEquals(401, publish(token), "exp " + exp);
            try (SseClient sse = SseClient.request(base, List.of("public:x")).token(token).openRaw()) {
                assertEquals(401, sse.status(), "exp " + exp + " on a stream");
            }
        }
        // The latest accepted expiry, 9999-12-31T23:59:59Z.
        assertEquals(202, publish(TestTokens.signedPayload(TestTokens.adminClaims("253402300799", ""))));
    }

    @Test
    void claimsNestedThousandsDeepAre401WithoutAStackOverflowInTheLog() throws IOException {
        Path log = Path.of("target/herald-test.log");
        long before = Files.exists(log) ? Files.size(log) : 0;
        String deep = "[".repeat(3000) + "]".repeat(3000);
        String token = TestTokens.signedPayload(TestTokens.adminClaims(
                String.valueOf(Instant.now().plusSeconds(600).getEpochSecond()), "\"x\":" + deep));
        for (int i = 0; i < 5; i++) {
            assertEquals(401, publish(token));
        }
        // Deep but within the bound is fine.
        String shallow = "[".repeat(20) + "]".repeat(20);
        assertEquals(202, publish(TestTokens.signedPayload(TestTokens.adminClaims(
                String.valueOf(Instant.now().plusSeconds(600).getEpochSecond()), "\"x\":" + shallow))));
        String all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        // The log starts afresh when another test's application starts: then all of it is new.
        String written = all.length() >= before ? all.substring((int) before) : all;
        assertFalse(written.contains("StackOverflowError") || written.contains(" ERROR "),
                "a bad token is not a server error:\n" + written.lines().filter(l -> l.contains("ERROR")).limit(3).toList());
    }

    @Test
    void aTokenOverSixteenKibibytesIsRefusedEverywhere() {
        String token = TestTokens.signedPayload(TestTokens.adminClaims(
                String.valueOf(Instant.now().plusSeconds(600).getEpochSecond()), "\"pad\":\"" + "p".repeat(16 * 1024) + "\""));
        int status = publish(token);
        // Over the header limit (quarkus.http.limits.max-header-size) the HTTP layer refuses it first.
        assertEquals(true, status == 401 || status == 431, "refused in a header: " + status);
        try (WsClient ws = WsClient.to(base).connect()) {
            ws.send("{\"op\":\"auth\",\"token\":\"" + token + "\"}");
            assertEquals(4001, ws.awaitClose().getCode());
        }
    }

    /**
     * A token expired a few seconds ago is still inside smallrye-jwt's clock-skew allowance (60 s): fine
     * for one publish, but a stream opened with it would be ended as expired at once, and its client
     * would reconnect in a loop.
     */
    @Test
    void aTokenInsideTheClockSkewAllowanceOpensNoStream() {
        String justExpired = Jwt.issuer(TestTokens.ISSUER).subject("skew").claim("subscribe", List.of("*"))
                .claim("publish", List.of("*")).issuedAt(Instant.now().minusSeconds(60))
                .expiresAt(Instant.now().minusSeconds(5)).sign("test-keys/jwt-private.pem");
        assertEquals(202, publish(justExpired), "short requests keep the allowance");
        try (SseClient sse = SseClient.request(base, List.of("user:skew")).token(justExpired).openRaw()) {
            assertEquals(401, sse.status(), "SSE");
        }
        PollClient.Answer poll = PollClient.to(base, List.of("user:skew")).token(justExpired).timeout(1).send();
        assertEquals(401, poll.status(), "long poll");
        try (WsClient ws = WsClient.to(base).bearer(justExpired).connect()) {
            assertEquals(4001, ws.awaitClose().getCode(), "WebSocket");
        }
    }
}
