package dev.herald.transport.poll;

import static dev.herald.support.HttpApi.topic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.ops.Drain;
import dev.herald.support.Metrics;
import dev.herald.support.PollClient;
import dev.herald.support.PollClient.Answer;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Shutdown with polls held (its own application instance, since the drain leaves the node shut): held
 * polls are answered at once with their cursor so they do not hold up the shutdown, and new polls get a
 * 503 with Retry-After (a poll client, unlike EventSource, retries on a 503).
 */
@QuarkusTest
@TestProfile(PollDrainTest.Draining.class)
class PollDrainTest {

    public static class Draining implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.shutdown.drain-delay", "0s", "herald.shutdown.spread", "200ms",
                    "herald.sse.retry", "2s");
        }
    }

    @Inject
    Drain drain;

    @TestHTTPResource("/")
    URI base;

    @Test
    void heldPollsAreAnsweredWithTheirCursorAndNewPollsGet503WithRetryAfter() {
        String topic = topic("drain");
        String token = TestTokens.admin();
        String cursor = PollClient.to(base, List.of(topic)).token(token).timeout(0).send().ok().cursor();
        double before = Metrics.value("herald_connections", "transport=\"poll\"");
        CompletableFuture<Answer> held = PollClient.to(base, List.of(topic)).token(token).cursor(cursor).timeout(60)
                .hold();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Metrics.value("herald_connections", "transport=\"poll\"") == before + 1);

        drain.drainNow();
        assertEquals(0, drain.openConnections(), "the drain did not wait for the held poll to time out");
        Answer answer = PollClient.await(held, Duration.ofSeconds(10)).ok();
        assertEquals(List.of(), answer.events());
        assertEquals(cursor, answer.cursor(), "the client resumes from its position on another node");

        Answer late = PollClient.to(base, List.of(topic)).token(token).cursor(cursor).timeout(0).send();
        assertEquals(503, late.status(), late.body());
        assertTrue(late.header("Content-Type").startsWith("application/problem+json"));
        assertEquals("urn:herald:problem:shutting-down", late.json().getString("type"));
        int retryAfter = Integer.parseInt(late.header("Retry-After"));
        // herald.sse.retry (2s) plus a jitter within the spread (200ms), in whole seconds.
        assertTrue(retryAfter >= 2 && retryAfter <= 3, "Retry-After " + retryAfter);
    }
}
