package dev.herald.transport.sse;

import static dev.herald.support.HttpApi.topic;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.Profiles;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Resuming from a cursor older than the retained history, with history cut to 5 events per topic. */
@QuarkusTest
@TestProfile(Profiles.ShortHistory.class)
class SseHistoryLimitTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    private String cursorAfterOneEvent(String... topics) {
        try (SseClient sse = SseClient.open(base, List.of(topics), ADMIN, null)) {
            sse.preamble(WAIT);
            HttpApi.publishOk(topics[0], "0");
            return sse.expectEvent(WAIT).id();
        }
    }

    @Test
    void cursorOlderThanTheRetainedHistoryGetsAResetThenGoesLive() {
        String topic = topic("room");
        String cursor = cursorAfterOneEvent(topic);
        for (int i = 1; i <= 10; i++) {
            HttpApi.publishOk(topic, String.valueOf(i));
        }
        try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, cursor)) {
            assertEquals(200, sse.status());
            sse.preamble(WAIT);
            SseClient.Frame reset = sse.expectEvent(WAIT);
            assertEquals("herald.reset", reset.event());
            JsonPath data = JsonPath.from(reset.data());
            assertEquals("history-exceeded", data.getString("reason"));
            assertEquals(List.of(topic), data.getList("topics"));
            // No partial replay after a reset: the next event is the next live one.
            String live = HttpApi.publishOk(topic, "11");
            assertEquals(live, JsonPath.from(sse.expectEvent(WAIT).data()).getString("id"));
        }
    }

    @Test
    void resetNamesOnlyTheTopicsWhoseHistoryWasExceeded() {
        String busy = topic("room");
        String quiet = topic("room");
        String cursor = cursorAfterOneEvent(busy, quiet);
        for (int i = 1; i <= 10; i++) {
            HttpApi.publishOk(busy, String.valueOf(i));
        }
        String missedOnQuiet = HttpApi.publishOk(quiet, "\"q\"");
        try (SseClient sse = SseClient.open(base, List.of(busy, quiet), ADMIN, cursor)) {
            sse.preamble(WAIT);
            SseClient.Frame reset = sse.expectEvent(WAIT);
            assertEquals("herald.reset", reset.event());
            assertEquals(List.of(busy), JsonPath.from(reset.data()).getList("topics"));
            assertEquals(missedOnQuiet, JsonPath.from(sse.expectEvent(WAIT).data()).getString("id"));
        }
    }

    @Test
    void cursorWithinTheRetainedHistoryResumesWithoutReset() {
        String topic = topic("room");
        String cursor = cursorAfterOneEvent(topic);
        List<String> missed = List.of(HttpApi.publishOk(topic, "1"), HttpApi.publishOk(topic, "2"),
                HttpApi.publishOk(topic, "3"), HttpApi.publishOk(topic, "4"), HttpApi.publishOk(topic, "5"));
        try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, cursor)) {
            sse.preamble(WAIT);
            for (String id : missed) {
                SseClient.Frame f = sse.expectEvent(WAIT);
                assertEquals("message", f.event());
                assertEquals(id, JsonPath.from(f.data()).getString("id"));
            }
        }
    }
}
