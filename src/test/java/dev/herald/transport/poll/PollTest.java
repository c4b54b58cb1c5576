package dev.herald.transport.poll;

import static dev.herald.support.HttpApi.topic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.PollClient;
import dev.herald.support.PollClient.Answer;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/poll} (README "Long polling") against the real server and the memory broker. */
@QuarkusTest
class PollTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    private PollClient.Request poll(String... topics) {
        return PollClient.to(base, List.of(topics)).token(ADMIN);
    }

    /** The cursor of "now" for these topics, from a poll that answers at once. */
    private String cursorNow(String... topics) {
        Answer now = poll(topics).timeout(0).send().ok();
        assertEquals(List.of(), now.events());
        return now.cursor();
    }

    /** Sends a poll that must be held, and returns once the server holds it (no sleep: the gauge says so). */
    private CompletableFuture<Answer> held(PollClient.Request request) {
        double before = Metrics.heldPolls();
        CompletableFuture<Answer> answer = request.hold();
        await().atMost(WAIT).until(() -> Metrics.heldPolls() == before + 1 || answer.isDone());
        assertFalse(answer.isDone(), () -> "the poll was answered instead of held: " + answer.join().body());
        return answer;
    }

    @Test
    void answersAtOnceWithTheEventsAfterTheCursorAsEnvelopes() {
        String topic = topic("poll");
        String cursor = cursorNow(topic);
        List<String> ids = List.of(HttpApi.publishOk(ADMIN, topic, "chat", "{\"text\":\"a\"}"),
                HttpApi.publishOk(ADMIN, topic, "chat", "{\"text\":\"b\"}"));
        // A long timeout: the answer must not wait for it, since there are events to return.
        Answer answer = PollClient.await(poll(topic).cursor(cursor).timeout(60).hold(), WAIT).ok();
        assertEquals(ids, answer.ids());
        Map<String, Object> first = answer.events().get(0);
        assertEquals(topic, first.get("topic"));
        assertEquals("chat", first.get("type"));
        assertEquals(Map.of("text", "a"), first.get("data"));
        assertNotNull(first.get("ts"));
        assertTrue(answer.header("Content-Type").startsWith("application/json"), answer.header("Content-Type"));
        assertEquals("no-store", answer.header("Cache-Control"));
        assertNotEquals(cursor, answer.cursor());
    }

    @Test
    void holdsThePollUntilAnEventIsPublishedThenAnswersWithIt() {
        String topic = topic("poll");
        String cursor = cursorNow(topic);
        CompletableFuture<Answer> pending = held(poll(topic).cursor(cursor).timeout(60));
        String id = HttpApi.publishOk(ADMIN, topic, "message", "1");
        Answer answer = PollClient.await(pending, WAIT).ok();
        assertEquals(List.of(id), answer.ids());
        // The answer's cursor lies after that event: polling from it finds nothing new.
        assertEquals(List.of(), poll(topic).cursor(answer.cursor()).timeout(0).send().ok().events());
    }

    @Test
    void timeoutAnswersWithAnEmptyListAndTheSameCursor() {
        String topic = topic("poll");
        String cursor = cursorNow(topic);
        double before = Metrics.heldPolls();
        Answer answer = poll(topic).cursor(cursor).timeout(1).send().ok();
        assertEquals(List.of(), answer.events());
        assertEquals(cursor, answer.cursor());
        assertEquals("no-store", answer.header("Cache-Control"));
        assertEquals(before, Metrics.heldPolls(), "an answered poll is no longer held");
    }

    @Test
    void withoutACursorThePollStartsFromNowAndItsCursorMissesNothingPublishedAfter() {
        String topic = topic("poll");
        HttpApi.publishOk(ADMIN, topic, "message", "\"before\"");
        Answer first = poll(topic).timeout(0).send().ok();
        assertEquals(List.of(), first.events(), "events published before the first poll are not returned");
        String after = HttpApi.publishOk(ADMIN, topic, "message", "\"after\"");
        Answer second = poll(topic).cursor(first.cursor()).timeout(0).send().ok();
        assertEquals(List.of(after), second.ids());
    }

    @Test
    void aBacklogLargerThanAPageComesPageByPageInOrderWithoutLoss() {
        String topic = topic("poll");
        String cursor = cursorNow(topic);
        List<String> published = new ArrayList<>();
        for (int batch = 0; batch < 5; batch++) {
            StringBuilder body = new StringBuilder("{\"events\":[");
            for (int i = 0; i < 50; i++) {
                body.append(i == 0 ? "" : ",").append("{\"topic\":\"").append(topic).append("\",\"data\":")
                        .append(batch * 50 + i).append('}');
            }
            published.addAll(HttpApi.publishBatch(ADMIN, body.append("]}").toString())
                    .then().statusCode(202).extract().jsonPath().getList("results.id"));
        }
        List<String> received = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        Answer answer;
        do {
            answer = poll(topic).cursor(cursor).timeout(0).send().ok();
            received.addAll(answer.ids());
            pageSizes.add(answer.ids().size());
            cursor = answer.cursor();
        } while (!answer.events().isEmpty());
        assertEquals(List.of(100, 100, 50, 0), pageSizes, "pages of herald.poll.max-events (100)");
        assertEquals(published, received);
    }

    @Test
    void aPollOfSeveralTopicsReturnsEachTopicsEventsInOrderAndOneCursorForAll() {
        String a = topic("poll");
        String b = topic("poll");
        String cursor = cursorNow(a, b);
        String a1 = HttpApi.publishOk(a, "1");
        String b1 = HttpApi.publishOk(b, "2");
        String a2 = HttpApi.publishOk(a, "3");
        Answer answer = poll(a, b).cursor(cursor).timeout(5).send().ok();
        List<String> ofA = new ArrayList<>();
        List<String> ofB = new ArrayList<>();
        for (Map<String, Object> e : answer.events()) {
            (a.equals(e.get("topic")) ? ofA : ofB).add((String) e.get("id"));
        }
        assertEquals(List.of(a1, a2), ofA);
        assertEquals(List.of(b1), ofB);
        // A held poll of both topics wakes up for the quieter one too.
        CompletableFuture<Answer> pending = held(poll(a, b).cursor(answer.cursor()).timeout(60));
        String b2 = HttpApi.publishOk(b, "4");
        assertEquals(List.of(b2), PollClient.await(pending, WAIT).ok().ids());
    }

    @Test
    void anUnreadableCursorGetsAnInvalidCursorResetAtOnceWithACursorThatGoesOn() {
        String topic = topic("poll");
        Answer answer = PollClient.await(poll(topic).cursor("not-a-cursor").timeout(60).hold(), WAIT).ok();
        assertEquals(1, answer.events().size(), answer.body());
        Map<String, Object> reset = answer.events().get(0);
        assertEquals("herald.reset", reset.get("type"));
        assertEquals(Map.of("topics", List.of(topic), "reason", "invalid-cursor"), reset.get("data"));
        assertNotNull(reset.get("ts"));
        assertNull(reset.get("id"), "a reset is not an event of the topic");
        String id = HttpApi.publishOk(topic, "1");
        assertEquals(List.of(id), poll(topic).cursor(answer.cursor()).timeout(5).send().ok().ids());
    }

    @Test
    void aTopicTheCursorDoesNotNameStartsFromNowWithAResetForThatTopicOnly() {
        String known = topic("poll");
        String added = topic("poll");
        String cursor = cursorNow(known);
        String missed = HttpApi.publishOk(known, "1");
        Answer answer = poll(known, added).cursor(cursor).timeout(5).send().ok();
        assertEquals("herald.reset", answer.events().get(0).get("type"));
        assertEquals(Map.of("topics", List.of(added), "reason", "invalid-cursor"), answer.events().get(0).get("data"));
        assertEquals(List.of(missed), answer.ids(), "the named topic resumes without loss after the reset");
    }

    @Test
    void eventsReturnedByPollsCountAsPollDeliveries() {
        String topic = topic("poll");
        String cursor = cursorNow(topic);
        HttpApi.publishOk(topic, "1");
        HttpApi.publishOk(topic, "2");
        double deliveries = Metrics.value("herald_deliveries_total", "transport=\"poll\"");
        assertEquals(2, poll(topic).cursor(cursor).timeout(0).send().ok().ids().size());
        assertEquals(deliveries + 2, Metrics.value("herald_deliveries_total", "transport=\"poll\""));
    }

    @Test
    void aHeldPollWhoseClientGoesAwayReleasesItsSubscription() throws Exception {
        String topic = topic("poll");
        double held = Metrics.heldPolls();
        double subscriptions = Metrics.value("herald_subscriptions");
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /v1/poll?topic=" + topic + "&timeout=60 HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + ADMIN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(WAIT).until(() -> Metrics.heldPolls() == held + 1);
            assertEquals(subscriptions + 1, Metrics.value("herald_subscriptions"));
        }
        await().atMost(WAIT).until(() -> Metrics.heldPolls() == held);
        await().atMost(WAIT).until(() -> Metrics.value("herald_subscriptions") == subscriptions);
    }

    @Test
    void aHeldPollIsAnsweredWithItsCursorWhenItsTokenExpires() {
        String topic = topic("poll");
        String cursor = cursorNow(topic);
        String shortLived = TestTokens.expiringIn("poller", 2);
        CompletableFuture<Answer> pending = held(PollClient.to(base, List.of(topic)).token(shortLived)
                .cursor(cursor).timeout(60));
        // Well before the 60s timeout: the hold was cut at the token's expiry.
        Answer answer = PollClient.await(pending, Duration.ofSeconds(30)).ok();
        assertEquals(List.of(), answer.events());
        assertEquals(cursor, answer.cursor());
    }
}
