package dev.herald.browser;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server interrupts a page's subscription mid-stream, for real, and the page must then show every
 * event exactly once, in order, with the server sending none twice (herald.js dropped no duplicate).
 * WebSocket and SSE: the page stops reading (its main thread is busy) while large events are
 * published, its outbound queue (20 events in {@link BrowserProfile}) fills, and the server
 * disconnects it as a slow consumer. Long polling has no connection to drop: the server refuses the
 * page's next poll instead (503, node full), while the browser holds the page's polls back.
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserResumeTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();
    static final String SLOW = "herald_slow_consumer_disconnects_total";
    static final String BIG = "{\"blob\":\"" + "x".repeat(60_000) + "\"}";
    static final int BURST = 15;

    /** {@value #BURST} events of 60 KB in one batch publish (under the 1 MiB body limit). */
    /** Publishes {@link #BURST} big events in one batch: their ids. */
    static List<String> publishBurst(String topic) {
        String event = "{\"topic\":\"" + topic + "\",\"type\":\"message\",\"data\":" + BIG + "}";
        String body = "{\"events\":[" + String.join(",", Collections.nCopies(BURST, event)) + "]}";
        return HttpApi.publishBatch(ADMIN, body).then().statusCode(202).extract().jsonPath().getList("results.id");
    }

    /**
     * SSE: nothing in herald.js reconnects; Chromium's EventSource does, by itself, with Last-Event-ID
     * (the same EventSource opens a second time), and the server replays what the page missed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ws", "sse"})
    void connectionDroppedAsSlowConsumerResumesWithEveryEventExactlyOnceInOrder(String transport) {
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", transport, "limit", "2000"))
                .awaitState("open");
        String label = "transport=\"" + transport + "\"";
        double slowBefore = Metrics.value(SLOW, label);
        double replayedBefore = Metrics.value("herald_events_replayed_total");
        // What was published, as the publishes answered (the retained history may have dropped the oldest).
        List<String> sent = new ArrayList<>();
        int published = 0;
        sent.add(HttpApi.publishOk(ADMIN, topic, "message", "{\"n\":0}"));
        published++;
        page.awaitReceived(published, DemoPage.WAIT);

        // Bounded: at most 3 freezes of 8 s and 900 events (history keeps 1000 per topic).
        boolean dropped = false;
        for (int round = 0; round < 3 && !dropped; round++) {
            CompletableFuture<Void> frozen = page.freeze(Duration.ofSeconds(8));
            while (!dropped && !frozen.isDone() && published + BURST <= 900) {
                sent.addAll(publishBurst(topic));
                published += BURST;
                dropped = Metrics.value(SLOW, label) > slowBefore;
            }
            frozen.join();
            dropped = dropped || Metrics.value(SLOW, label) > slowBefore;
        }
        assertTrue(dropped, "the server never dropped the page's connection after " + published + " events");
        for (int i = 1; i <= 3; i++) {
            sent.add(HttpApi.publishOk(ADMIN, topic, "message", "{\"after\":" + i + "}"));
            published++;
        }

        page.awaitReceived(published, Duration.ofSeconds(60));
        assertEquals(sent, page.eventIds(), "every event once, in order");
        assertEquals(published, page.count("received"));
        assertEquals(0, page.count("duplicates"), "the server sent no event twice");
        assertTrue(Metrics.value("herald_events_replayed_total") > replayedBefore,
                "the reconnect resumed from the page's position (the server replayed history)");
        if (transport.equals("sse")) {
            assertTrue(page.nativeReconnects() >= 1, "EventSource reconnected by itself");
        } else {
            assertTrue(page.count("reconnects") >= 1, "herald.js reconnected");
        }
        page.awaitState("open");
    }

    /**
     * Long polling: while the browser holds back the page's polls (DevTools blocks them before they leave
     * it, until the test lets them through), the node's polls (2 in {@link BrowserProfile}) are taken by
     * the test, so the page's next poll is refused with 503 and Retry-After. herald.js waits, polls again
     * from its cursor, and the page shows what was published meanwhile, once, in order. Page and test
     * poll with a token: polls without one have places of their own (max-anonymous-connections).
     */
    @Test
    void pollRefusedMidStreamResumesWithEveryEventExactlyOnceInOrder() throws Exception {
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", "poll", "token", ADMIN)).awaitState("open");
        HttpApi.publishOk(ADMIN, topic, "message", "{\"n\":1}");
        page.awaitReceived(1, DemoPage.WAIT);

        String other = HttpApi.topic("public");
        List<CompletableFuture<HttpResponse<String>>> held;
        page.blockRequests("*/v1/poll*");
        try {
            // The page's held poll (sent before the block) is answered; its next ones fail in the browser.
            HttpApi.publishOk(ADMIN, topic, "message", "{\"n\":2}");
            HttpApi.publishOk(ADMIN, topic, "message", "{\"n\":3}");
            awaitPollsInProgress(0);
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest hold = HttpRequest.newBuilder(base.resolve("/v1/poll?timeout=40&topic=" + other))
                    .header("Authorization", "Bearer " + ADMIN).build();
            held = List.of(
                    http.sendAsync(hold, HttpResponse.BodyHandlers.ofString()),
                    http.sendAsync(hold, HttpResponse.BodyHandlers.ofString()));
            awaitPollsInProgress(2);
        } finally {
            page.unblockRequests();
        }

        page.wait(DemoPage.WAIT).withMessage("the page's poll was not refused by the full node")
                .until(d -> "reconnecting".equals(page.state()) && "unavailable".equals(page.statusCode()));
        HttpApi.publishOk(ADMIN, topic, "message", "{\"n\":4}");
        HttpApi.publishOk(ADMIN, topic, "message", "{\"n\":5}");
        HttpApi.publishOk(ADMIN, other, "message", "\"release\"");
        for (CompletableFuture<HttpResponse<String>> poll : held) {
            assertEquals(200, poll.get(10, TimeUnit.SECONDS).statusCode());
        }

        page.awaitReceived(5, Duration.ofSeconds(30));
        assertEquals(HttpApi.historyIds(topic), page.eventIds(), "every event once, in order");
        assertEquals(0, page.count("duplicates"));
        assertTrue(page.count("reconnects") >= 1, "herald.js polled again after the refusal");
        page.awaitState("open");
    }

    private void awaitPollsInProgress(int n) {
        await().atMost(DemoPage.WAIT)
                .until(() -> Metrics.value("herald_connections", "transport=\"poll\"") == n);
    }
}
