package dev.herald.transport.poll;

import static dev.herald.support.HttpApi.topic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.PollClient;
import dev.herald.support.PollClient.Answer;
import dev.herald.support.Profiles;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Polls against short history (5 events per topic) and a node that holds at most 3 polls. */
@QuarkusTest
@TestProfile(Profiles.ShortHistory.class)
class PollLimitsTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    private PollClient.Request poll(String... topics) {
        return PollClient.to(base, List.of(topics)).token(ADMIN);
    }

    private String cursorNow(String... topics) {
        return poll(topics).timeout(0).send().ok().cursor();
    }

    @Test
    void aCursorOlderThanTheRetainedHistoryGetsAHistoryExceededResetAndNoPartialReplay() {
        String topic = topic("room");
        String cursor = cursorNow(topic);
        for (int i = 0; i < 10; i++) {
            HttpApi.publishOk(topic, String.valueOf(i));
        }
        Answer answer = poll(topic).cursor(cursor).timeout(60).send().ok();
        assertEquals(1, answer.events().size(), "the reset only, no partial replay: " + answer.body());
        assertEquals("herald.reset", answer.events().get(0).get("type"));
        assertEquals(Map.of("topics", List.of(topic), "reason", "history-exceeded"), answer.events().get(0).get("data"));
        // The answer's cursor lies at the head: the next poll gets the next live event.
        String live = HttpApi.publishOk(topic, "10");
        assertEquals(List.of(live), poll(topic).cursor(answer.cursor()).timeout(5).send().ok().ids());
    }

    @Test
    void aResetNamesOnlyTheExceededTopicAndTheOtherTopicsEventsFollowIt() {
        String busy = topic("room");
        String quiet = topic("room");
        String cursor = cursorNow(busy, quiet);
        for (int i = 0; i < 10; i++) {
            HttpApi.publishOk(busy, String.valueOf(i));
        }
        String missedOnQuiet = HttpApi.publishOk(quiet, "\"q\"");
        Answer answer = poll(busy, quiet).cursor(cursor).timeout(5).send().ok();
        assertEquals("herald.reset", answer.events().get(0).get("type"));
        assertEquals(Map.of("topics", List.of(busy), "reason", "history-exceeded"), answer.events().get(0).get("data"));
        assertEquals(List.of(missedOnQuiet), answer.ids());
    }

    @Test
    void beyondMaxHeldPollsANewPollGets503WithRetryAfterUntilOneIsAnswered() {
        String topic = topic("room");
        String cursor = cursorNow(topic);
        double before = Metrics.heldPolls();
        List<CompletableFuture<Answer>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(poll(topic).cursor(cursor).timeout(60).hold());
        }
        await().atMost(WAIT).until(() -> Metrics.heldPolls() == before + 3);

        double refusedBefore = Metrics.value("herald_connections_refused_total", "transport=\"poll\"",
                "reason=\"too-many-polls\"");
        Answer refused = poll(topic("room")).timeout(0).send();
        assertEquals(503, refused.status(), refused.body());
        assertEquals(refusedBefore + 1, Metrics.value("herald_connections_refused_total", "transport=\"poll\"",
                "reason=\"too-many-polls\""), "a refusal at the cap is counted");
        assertTrue(refused.header("Content-Type").startsWith("application/problem+json"));
        int retryAfter = Integer.parseInt(refused.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 5, "Retry-After " + retryAfter);
        assertEquals("urn:herald:problem:too-many-polls", refused.json().getString("type"));

        // One event answers the three held polls, which frees their places.
        String id = HttpApi.publishOk(topic, "1");
        for (CompletableFuture<Answer> pending : held) {
            assertEquals(List.of(id), PollClient.await(pending, WAIT).ok().ids());
        }
        assertEquals(before, Metrics.heldPolls());
        poll(topic).timeout(0).send().ok();
    }
}
