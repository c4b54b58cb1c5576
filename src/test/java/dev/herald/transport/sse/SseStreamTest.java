package dev.herald.transport.sse;

import static io.restassured.RestAssured.given;
import static dev.herald.support.HttpApi.topic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SseStreamTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    private SseClient subscribe(String lastEventId, String... topics) {
        SseClient sse = SseClient.open(base, List.of(topics), ADMIN, lastEventId);
        assertEquals(200, sse.status(), sse.errorBody());
        return sse;
    }

    private static JsonPath envelope(SseClient.Frame frame) {
        return JsonPath.from(frame.data());
    }

    /** Reads {@code n} events and returns their envelope ids by topic, in arrival order. */
    private static Map<String, List<String>> idsByTopic(SseClient sse, int n) {
        Map<String, List<String>> byTopic = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            JsonPath e = envelope(sse.expectEvent(WAIT));
            byTopic.computeIfAbsent(e.getString("topic"), t -> new ArrayList<>()).add(e.getString("id"));
        }
        return byTopic;
    }

    /** Publishes a sentinel and asserts it is the next event: nothing else (no duplicate) came before it. */
    private static void nextIsOnly(SseClient sse, String topic) {
        String sentinel = HttpApi.publishOk(ADMIN, topic, "sentinel", "0");
        SseClient.Frame next = sse.expectEvent(WAIT);
        assertEquals(sentinel, envelope(next).getString("id"), "unexpected event before the sentinel: " + next);
    }

    @Test
    void streamAnswersWithEventStreamAndNoBufferingHeaders() {
        try (SseClient sse = subscribe(null, topic("room"))) {
            assertTrue(sse.header("Content-Type").startsWith("text/event-stream"), sse.header("Content-Type"));
            assertEquals("no-cache", sse.header("Cache-Control"));
            assertEquals("no", sse.header("X-Accel-Buffering"));
        }
    }

    @Test
    void streamStartsWithRetryAndTheInitialCursorWithoutData() {
        try (SseClient sse = subscribe(null, topic("room"))) {
            SseClient.Frame first = sse.next(WAIT);
            assertNotNull(first);
            assertEquals(2000L, first.retry());
            assertNotNull(first.id());
            assertTrue(first.id().matches("[A-Za-z0-9_-]+"), "cursor is base64url: " + first.id());
            assertNull(first.data());
            assertNull(first.event());
            assertEquals("retry: 2000", first.lines().get(0), "retry comes first on the wire");
        }
    }

    @Test
    void heartbeatCommentsArriveOnAnIdleStream() {
        try (SseClient sse = subscribe(null, topic("room"))) {
            sse.preamble(WAIT);
            for (int i = 0; i < 2; i++) {
                SseClient.Frame hb = sse.next(Duration.ofSeconds(4));
                assertNotNull(hb, "no heartbeat");
                assertEquals(List.of("hb"), hb.comments());
                assertEquals(List.of(": hb"), hb.lines());
            }
        }
    }

    @Test
    void eventFrameCarriesCursorTypeAndEnvelope() {
        String topic = topic("room");
        try (SseClient sse = subscribe(null, topic)) {
            String cursor = sse.preamble(WAIT).id();
            String id = HttpApi.publishOk(ADMIN, topic, "price", "{\"bid\":1.5}");
            SseClient.Frame f = sse.expectEvent(WAIT);
            assertEquals("price", f.event());
            assertNotNull(f.id());
            assertTrue(!f.id().equals(cursor), "the cursor moves with each event");
            JsonPath e = envelope(f);
            assertEquals(id, e.getString("id"));
            assertEquals(topic, e.getString("topic"));
            assertEquals("price", e.getString("type"));
            assertEquals(1.5f, e.getFloat("data.bid"));
            assertTrue(e.getLong("ts") > 0);
        }
    }

    @Test
    void namedFalseLeavesOutEventLinesSoOnmessageSeesEveryTypeButNoticesStayNamed() {
        String a = topic("room");
        String b = topic("room");
        for (List<String> topics : List.of(List.of(a), List.of(a, b))) {
            try (SseClient sse = SseClient.request(base, topics).token(ADMIN).query("named", "false")
                    .lastEventId("not-a-cursor").open()) {
                sse.preamble(WAIT);
                SseClient.Frame reset = sse.expectEvent(WAIT);
                assertEquals("herald.reset", reset.event(), "notices keep their names");
                String id = HttpApi.publishOk(ADMIN, a, "price", "{\"bid\":2}");
                SseClient.Frame f = sse.next(WAIT);
                assertNull(f.event(), "no event: line, so EventSource's onmessage gets it: " + f.lines());
                assertNotNull(f.id());
                assertEquals(id, envelope(f).getString("id"));
                assertEquals("price", envelope(f).getString("type"), "the type is in the envelope");
            }
        }
        given().header("Authorization", "Bearer " + ADMIN).get("/v1/stream?topic=x&named=maybe").then().statusCode(400);
    }

    @Test
    void namedFalseStreamsAnnounceTheirStartingCursorAsAnEventScriptsCanRead() {
        String topic = topic("room");
        try (SseClient sse = SseClient.request(base, List.of(topic)).token(ADMIN).query("named", "false").open()) {
            SseClient.Frame start = sse.next(WAIT);
            assertEquals("herald.start", start.event());
            assertNotNull(start.retry());
            assertNotNull(start.id(), "the starting cursor, readable as the event's lastEventId");
            String id = HttpApi.publishOk(ADMIN, topic, "m", "1");
            SseClient.Frame f = sse.next(WAIT);
            assertEquals(id, envelope(f).getString("id"));
        }
    }

    @Test
    void theLargestSubscriptionFitsInTheRequestLine() {
        // 64 topics of 200 characters and a cursor in the query: over Vert.x's default 4096-byte line.
        List<String> topics = new java.util.ArrayList<>();
        for (int i = 0; i < 64; i++) {
            topics.add(String.format("big:%02d:", i) + "x".repeat(192));
        }
        try (SseClient sse = SseClient.request(base, topics).token(ADMIN).query("lastEventId", "A".repeat(4096)).open()) {
            assertEquals(200, sse.status(), sse.errorBody());
            sse.preamble(WAIT);
        }
    }

    @Test
    void multiTopicSubscriptionGetsEventsOfEveryTopicInPerTopicOrder() {
        String a = topic("room");
        String b = topic("room");
        try (SseClient sse = subscribe(null, a, b)) {
            sse.preamble(WAIT);
            String a1 = HttpApi.publishOk(a, "1");
            String b1 = HttpApi.publishOk(b, "2");
            String a2 = HttpApi.publishOk(a, "3");
            Map<String, List<String>> got = idsByTopic(sse, 3);
            assertEquals(List.of(a1, a2), got.get(a));
            assertEquals(List.of(b1), got.get(b));
        }
    }

    @Test
    void eventsOfOtherTopicsAreNotDelivered() {
        String mine = topic("room");
        try (SseClient sse = subscribe(null, mine)) {
            sse.preamble(WAIT);
            HttpApi.publishOk(topic("room"), "1");
            nextIsOnly(sse, mine);
        }
    }

    @Test
    void reconnectWithLastEventIdGetsExactlyTheMissedEvents() {
        String topic = topic("room");
        String lastId;
        try (SseClient sse = subscribe(null, topic)) {
            sse.preamble(WAIT);
            HttpApi.publishOk(topic, "1");
            HttpApi.publishOk(topic, "2");
            sse.expectEvent(WAIT);
            sse.expectEvent(WAIT);
            lastId = sse.lastId();
        }
        List<String> missed = List.of(HttpApi.publishOk(topic, "3"), HttpApi.publishOk(topic, "4"),
                HttpApi.publishOk(topic, "5"));
        try (SseClient sse = subscribe(lastId, topic)) {
            sse.preamble(WAIT);
            assertEquals(Map.of(topic, missed), idsByTopic(sse, 3));
            nextIsOnly(sse, topic);
        }
    }

    @Test
    void reconnectToThreeTopicsWithLastEventIdGetsExactlyTheMissedEventsOfEach() {
        String a = topic("room");
        String b = topic("room");
        String c = topic("room");
        String lastId;
        try (SseClient sse = subscribe(null, a, b, c)) {
            sse.preamble(WAIT);
            HttpApi.publishOk(a, "1");
            HttpApi.publishOk(b, "2");
            idsByTopic(sse, 2);
            lastId = sse.lastId();
        }
        String a2 = HttpApi.publishOk(a, "3");
        String c1 = HttpApi.publishOk(c, "4");
        String c2 = HttpApi.publishOk(c, "5");
        String a3 = HttpApi.publishOk(a, "6");
        try (SseClient sse = subscribe(lastId, a, b, c)) {
            sse.preamble(WAIT);
            Map<String, List<String>> got = idsByTopic(sse, 4);
            assertEquals(List.of(a2, a3), got.get(a));
            assertEquals(List.of(c1, c2), got.get(c));
            assertNull(got.get(b), "nothing was missed on b");
            nextIsOnly(sse, b);
        }
    }

    @Test
    void cursorOfEachDeliveryResumesRightAfterIt() {
        // Resume from the id of the first of two events (not the last): only the second is replayed.
        String a = topic("room");
        String b = topic("room");
        String afterFirst;
        String second;
        try (SseClient sse = subscribe(null, a, b)) {
            sse.preamble(WAIT);
            HttpApi.publishOk(a, "1");
            afterFirst = sse.expectEvent(WAIT).id();
            second = HttpApi.publishOk(b, "2");
            sse.expectEvent(WAIT);
        }
        try (SseClient sse = subscribe(afterFirst, a, b)) {
            sse.preamble(WAIT);
            assertEquals(Map.of(b, List.of(second)), idsByTopic(sse, 1));
            nextIsOnly(sse, a);
        }
    }

    @Test
    void lastEventIdQueryParameterResumesLikeTheHeader() {
        String a = topic("room");
        String b = topic("room");
        String lastId;
        try (SseClient sse = subscribe(null, a, b)) {
            sse.preamble(WAIT);
            HttpApi.publishOk(a, "1");
            sse.expectEvent(WAIT);
            lastId = sse.lastId();
        }
        String a2 = HttpApi.publishOk(a, "2");
        String b1 = HttpApi.publishOk(b, "3");
        try (SseClient sse = SseClient.request(base, List.of(a, b)).token(ADMIN).query("lastEventId", lastId).open()) {
            assertEquals(200, sse.status());
            sse.preamble(WAIT);
            Map<String, List<String>> got = idsByTopic(sse, 2);
            assertEquals(List.of(a2), got.get(a));
            assertEquals(List.of(b1), got.get(b));
            nextIsOnly(sse, a);
        }
    }

    @Test
    void resumingWithTheInitialCursorGetsEverythingPublishedSince() {
        String a = topic("room");
        String b = topic("room");
        HttpApi.publishOk(a, "\"before\"");
        String initial;
        try (SseClient sse = subscribe(null, a, b)) {
            initial = sse.preamble(WAIT).id();
        }
        String a1 = HttpApi.publishOk(a, "1");
        String b1 = HttpApi.publishOk(b, "2");
        try (SseClient sse = subscribe(initial, a, b)) {
            sse.preamble(WAIT);
            Map<String, List<String>> got = idsByTopic(sse, 2);
            assertEquals(List.of(a1), got.get(a));
            assertEquals(List.of(b1), got.get(b));
            nextIsOnly(sse, b);
        }
    }

    @Test
    void withoutAResumePositionTheStreamIsLiveFromNow() {
        String topic = topic("room");
        HttpApi.publishOk(topic, "\"old\"");
        try (SseClient sse = subscribe(null, topic)) {
            sse.preamble(WAIT);
            nextIsOnly(sse, topic);
        }
    }

    @Test
    void resumingAfterTheNewestEventReplaysNothing() {
        String topic = topic("room");
        String lastId;
        try (SseClient sse = subscribe(null, topic)) {
            sse.preamble(WAIT);
            HttpApi.publishOk(topic, "1");
            lastId = sse.expectEvent(WAIT).id();
        }
        try (SseClient sse = subscribe(lastId, topic)) {
            sse.preamble(WAIT);
            nextIsOnly(sse, topic);
        }
    }

    @Test
    void aTopicTheCursorDoesNotNameStartsLiveWithAnExplicitReset() {
        String known = topic("room");
        String added = topic("room");
        String cursor;
        try (SseClient sse = subscribe(null, known)) {
            HttpApi.publishOk(ADMIN, known, "m", "1");
            cursor = sse.expectEvent(WAIT).id();
        }
        String missed = HttpApi.publishOk(ADMIN, known, "m", "2");
        HttpApi.publishOk(ADMIN, added, "m", "3"); // before the resume: not owed, the cursor never had it
        try (SseClient sse = subscribe(cursor, known, added)) {
            SseClient.Frame reset = sse.expectEvent(WAIT);
            assertEquals("herald.reset", reset.event());
            assertEquals(List.of(added), envelope(reset).getList("topics"));
            assertEquals("invalid-cursor", envelope(reset).getString("reason"));
            assertEquals(missed, envelope(sse.expectEvent(WAIT)).getString("id"), "the named topic still resumes");
            nextIsOnly(sse, added);
        }
    }
}
