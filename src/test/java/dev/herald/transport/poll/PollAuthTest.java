package dev.herald.transport.poll;

import static dev.herald.support.HttpApi.topic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.PollClient;
import dev.herald.support.PollClient.Answer;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Who may poll what (README "Topics, auth", as on SSE), and the 400s of a malformed poll. */
@QuarkusTest
class PollAuthTest {

    @TestHTTPResource("/")
    URI base;

    private PollClient.Request poll(String token, String... topics) {
        return PollClient.to(base, List.of(topics)).token(token).timeout(0);
    }

    private static void assertProblem(Answer answer, int status) {
        assertEquals(status, answer.status(), answer.body());
        assertTrue(answer.header("Content-Type").startsWith("application/problem+json"), answer.header("Content-Type"));
        assertEquals(status, answer.json().getInt("status"));
        assertEquals("no-store", answer.header("Cache-Control"));
    }

    private static void assertNoTokenIn(String text, String token) {
        assertFalse(text.contains(token), "the token is echoed");
        for (String part : token.split("\\.")) {
            if (part.length() >= 16) {
                assertFalse(text.contains(part), "a part of the token is echoed");
            }
        }
    }

    @Test
    void aPollOfAPrivateTopicWithoutATokenIs401WithAChallenge() {
        Answer answer = poll(null, topic("room")).send();
        assertProblem(answer, 401);
        assertTrue(answer.header("WWW-Authenticate").startsWith("Bearer"));
    }

    @Test
    void anInvalidTokenIs401AndIsNeverEchoed() {
        for (String token : List.of(TestTokens.expired("mallory"), TestTokens.foreignKey("mallory"),
                TestTokens.algNone("mallory"), TestTokens.tampered("mallory"))) {
            Answer answer = poll(token, "public:news").send();
            assertProblem(answer, 401);
            assertNoTokenIn(answer.body(), token);
        }
    }

    @Test
    void aTokenWithoutTheRightToEveryTopicIs403() {
        String token = TestTokens.token("bob", List.of("room:*"), List.of());
        poll(token, topic("room")).send().ok();
        assertProblem(poll(token, topic("room"), topic("secret")).send(), 403);
        // The subject's own user topic needs no claim.
        poll(token, "user:bob").send().ok();
        assertProblem(poll(token, "user:alice").send(), 403);
    }

    @Test
    void anonymousClientsMayPollPublicTopicsOnly() {
        poll(null, "public:news").send().ok();
        assertProblem(poll(null, "public:news", topic("room")).send(), 401);
    }

    @Test
    void theTokenIsAcceptedFromTheCookieAndTheAccessTokenQueryParameter() throws Exception {
        String token = TestTokens.token("carol", List.of("room:*"), List.of());
        String topic = topic("room");
        PollClient.to(base, List.of(topic)).timeout(0).query("access_token", token).send().ok();
        HttpRequest withCookie = HttpRequest.newBuilder(base.resolve("/v1/poll?timeout=0&topic=" + topic))
                .header("Cookie", "herald_token=" + token).build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertEquals(200, http.send(withCookie, HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void aTokenInTheQueryNeverReachesTheLogs() throws IOException {
        String valid = TestTokens.token("pollog", List.of("room:*"), List.of());
        String invalid = TestTokens.foreignKey("pollog");
        PollClient.to(base, List.of(topic("room"))).timeout(0).query("access_token", valid).send().ok();
        assertEquals(401, PollClient.to(base, List.of(topic("room"))).timeout(0).query("access_token", invalid)
                .send().status());
        Path target = Path.of("target");
        await().atMost(Duration.ofSeconds(10)).until(() -> read(target, "herald-access").contains("/v1/poll"));
        String logs = read(target, "herald-access") + read(target, "herald-test.log");
        assertNoTokenIn(logs, valid);
        assertNoTokenIn(logs, invalid);
    }

    private static String read(Path dir, String prefix) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = new ArrayList<>(list.filter(p -> p.getFileName().toString().startsWith(prefix)).toList());
        }
        StringBuilder all = new StringBuilder();
        for (Path f : files) {
            all.append(Files.readString(f, StandardCharsets.UTF_8));
        }
        return all.toString();
    }

    // ---- malformed polls: 400 with a problem that says what is wrong ----

    @Test
    void aPollWithoutATopicIs400() {
        Answer answer = PollClient.to(base, List.of()).token(TestTokens.admin()).send();
        assertProblem(answer, 400);
        assertTrue(answer.json().getString("detail").contains("topic"), answer.body());
    }

    @Test
    void invalidTopicNamesAndTooManyTopicsAre400() {
        for (String bad : List.of("room general", "room:*", "*", "a".repeat(201), "", "-room")) {
            assertProblem(poll(TestTokens.admin(), bad).send(), 400);
        }
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            many.add(topic("room"));
        }
        assertProblem(poll(TestTokens.admin(), many.toArray(String[]::new)).send(), 400);
        poll(TestTokens.admin(), many.subList(0, 64).toArray(String[]::new)).send().ok();
    }

    @Test
    void aTimeoutThatIsNotWholeSecondsFrom0To60Is400() {
        String topic = topic("room");
        for (String bad : List.of("abc", "-1", "61", "1.5", "1e1", "99999999999", "", " 5", "5s", "0x10")) {
            Answer answer = PollClient.to(base, List.of(topic)).token(TestTokens.admin()).query("timeout", bad).send();
            assertProblem(answer, 400);
            assertTrue(answer.json().getString("detail").contains("timeout"), answer.body());
        }
        assertProblem(PollClient.to(base, List.of(topic)).token(TestTokens.admin()).rawQuery("timeout=1")
                .rawQuery("timeout=2").send(), 400);
    }

    @Test
    void twoCursorsAre400() {
        String topic = topic("room");
        assertProblem(PollClient.to(base, List.of(topic)).token(TestTokens.admin()).timeout(0)
                .cursor("AQ").cursor("AQ").send(), 400);
    }

    @Test
    void inputIsValidatedBeforeTheTokenSoA400NeverDependsOnAuth() {
        assertProblem(PollClient.to(base, List.of("room:*")).timeout(0).send(), 400);
    }
}
