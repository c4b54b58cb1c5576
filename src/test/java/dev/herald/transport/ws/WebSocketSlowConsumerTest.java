package dev.herald.transport.ws;

import static dev.herald.support.HttpApi.publishOk;
import static dev.herald.support.HttpApi.topic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.browser.BrowserProfile;
import dev.herald.support.Metrics;
import dev.herald.support.RawWebSocket;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A WebSocket client that stops reading is closed with 4008 once its queue (20 here) is full, while
 * another client of the same topic keeps receiving every event as it is published; one that keeps
 * sending requests but never reads their replies is closed once 1,024 replies wait unwritten.
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class WebSocketSlowConsumerTest {

    static final String ADMIN = TestTokens.admin();
    static final String PAYLOAD = "\"" + "x".repeat(16 * 1024) + "\"";

    @TestHTTPResource("/")
    URI base;

    @Test
    void aClientThatStopsReadingIsClosedWith4008WithoutHoldingUpTheOthers() {
        String topic = topic("ws-slow");
        double dropsBefore = Metrics.value("herald_slow_consumer_disconnects_total", "transport=\"ws\"");
        try (WsClient healthy = WsClient.to(base).bearer(ADMIN).connect();
             RawWebSocket stalled = RawWebSocket.connect(base, Map.of("Authorization", "Bearer " + ADMIN), 4096)) {
            healthy.subscribe("[\"" + topic + "\"]", null);
            stalled.sendText("{\"op\":\"subscribe\",\"topics\":[\"" + topic + "\"]}");
            assertTrue(stalled.readText().text().contains("subscribed"));
            // From here the stalled client reads nothing. Lock-step: each event must reach the healthy
            // client before the next one is published, so the healthy client is never behind the
            // stalled one, however full the stalled one's buffers get.
            int published = 0;
            while (Metrics.value("herald_slow_consumer_disconnects_total", "transport=\"ws\"") == dropsBefore) {
                assertTrue(published < 2000, "the stalled client was never dropped");
                String id = publishOk(topic, PAYLOAD);
                published++;
                assertEquals(id, healthy.expect("event").path("event").path("id").asText(), "event " + published);
            }
            System.out.printf("stalled WebSocket client dropped after %d events of 16 KiB%n", published);
            assertTrue(published > 20, "dropped only after its buffers and queue filled: " + published);
            assertEquals(4008, stalled.awaitCloseCode(), "slow consumer");
            String after = publishOk(topic, "1");
            assertEquals(after, healthy.expect("event").path("event").path("id").asText(), "the healthy one goes on");
        }
    }

    @Test
    void aClientThatSendsButNeverReadsIsClosedOnceItsRepliesPileUp() {
        double open = Metrics.value("herald_connections", "transport=\"ws\"");
        List<String> pings = Collections.nCopies(1_000, "{\"op\":\"ping\"}");
        try (RawWebSocket stalled = RawWebSocket.connect(base, Map.of("Authorization", "Bearer " + ADMIN), 4096)) {
            stalled.sendText("{\"op\":\"ping\"}");
            assertTrue(stalled.readText().text().contains("pong"));
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> Metrics.value("herald_connections", "transport=\"ws\"") == open + 1);
            // From here it reads nothing. Each ping is answered with a pong of 17 bytes: past what the
            // sockets of both ends hold (4 MiB at most by Linux's defaults, the client's 4 KiB here),
            // the pongs wait unwritten at the node, which closes the connection at 1,024.
            // Bounded by time, not by a count: the node's receive buffer (up to 32 MiB by Linux's defaults)
            // takes the pings faster than the node answers them.
            int sent = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            try {
                while (Metrics.value("herald_connections", "transport=\"ws\"") > open) {
                    assertTrue(System.nanoTime() < deadline, "a client that never reads was never closed");
                    for (int i = 0; i < 20; i++) {
                        stalled.sendTexts(pings);
                    }
                    sent += 20 * pings.size();
                }
            } catch (AssertionError cannotSend) {
                if (!(cannotSend.getCause() instanceof java.io.IOException)) {
                    throw cannotSend;
                }
                // the node closed the socket while we were still sending: what the test waits for
            }
            System.out.printf("a WebSocket client that never reads was closed after about %d pings%n", sent);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> Metrics.value("herald_connections", "transport=\"ws\"") == open);
        }
    }
}
