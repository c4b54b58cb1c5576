package dev.herald.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.herald.support.Metrics;
import dev.herald.support.PollClient;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Clients without a token cannot hold the places that users with one need: with room for 20
 * connections and 20 held polls, more than 20 anonymous WebSockets, SSE streams and polls leave
 * every place free for a real user. Anonymous connections are bounded by their own cap (25 here),
 * and a WebSocket without a token that only pings ends at the auth timeout (2s in tests).
 */
@QuarkusTest
@TestProfile(AnonymousConnectionsTest.TwentyPlaces.class)
class AnonymousConnectionsTest {

    public static class TwentyPlaces implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.subscriber.max-connections", "20",
                    "herald.poll.max-held", "20",
                    "herald.subscriber.max-anonymous-connections", "25");
        }
    }

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String ADMIN = TestTokens.admin();
    static final int ANONYMOUS = 22;

    @TestHTTPResource("/")
    URI base;

    @Test
    void anonymousPingsDoNotHoldAWebSocketPastTheAuthTimeoutNorFillTheNode() {
        List<WsClient> anonymous = new ArrayList<>();
        try {
            for (int i = 0; i < ANONYMOUS; i++) {
                WsClient ws = WsClient.to(base).connect();
                anonymous.add(ws);
                ws.send("{\"op\":\"ping\"}");
                assertEquals("pong", ws.next(WAIT).path("type").asText(), "anonymous connection " + (i + 1));
            }
            try (WsClient user = WsClient.to(base).bearer(ADMIN).connect()) {
                user.send("{\"op\":\"ping\"}");
                assertEquals("pong", user.next(WAIT).path("type").asText(), "a real user still gets in");
            }
            for (WsClient ws : anonymous) {
                ws.trySend("{\"op\":\"ping\"}");
                assertEquals(4001, ws.awaitClose(WAIT).getCode(), "pings do not end the auth timeout");
            }
        } finally {
            anonymous.forEach(WsClient::close);
        }
    }

    @Test
    void anonymousWebSocketsBeyondTheirOwnCapAreRefusedWith4029() {
        List<WsClient> anonymous = new ArrayList<>();
        try {
            for (int i = 0; i < 25; i++) {
                WsClient ws = WsClient.to(base).connect();
                anonymous.add(ws);
                ws.subscribe("[\"public:cap\"]", null);
            }
            try (WsClient extra = WsClient.to(base).connect()) {
                assertEquals(4029, extra.awaitClose(WAIT).getCode());
            }
            try (WsClient user = WsClient.to(base).bearer(ADMIN).connect()) {
                user.subscribe("[\"public:cap\"]", null);
            }
        } finally {
            anonymous.forEach(WsClient::close);
        }
    }

    @Test
    void anonymousSseStreamsDoNotFillTheNode() {
        List<SseClient> anonymous = new ArrayList<>();
        try {
            for (int i = 0; i < ANONYMOUS; i++) {
                SseClient sse = SseClient.open(base, List.of("public:sse"), null, null);
                anonymous.add(sse);
                assertNotNull(sse.preamble(WAIT).id(), "anonymous stream " + (i + 1) + " is a stream");
            }
            try (SseClient user = SseClient.open(base, List.of("public:sse"), ADMIN, null)) {
                assertNotNull(user.preamble(WAIT).id(), "a real user gets a stream, not a retry");
            }
        } finally {
            anonymous.forEach(SseClient::close);
        }
    }

    @Test
    void anonymousHeldPollsDoNotFillTheNode() {
        double before = Metrics.value("herald_connections", "transport=\"poll\"");
        List<CompletableFuture<PollClient.Answer>> held = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            held.add(PollClient.to(base, List.of("public:poll")).timeout(8).hold());
        }
        Awaitility.await().atMost(WAIT)
                .until(() -> Metrics.value("herald_connections", "transport=\"poll\"") >= before + 20);
        assertEquals(200, PollClient.to(base, List.of("public:poll")).token(ADMIN).timeout(0).send().status(),
                "a real user's poll is answered");
        held.forEach(h -> assertEquals(200, PollClient.await(h, WAIT).status()));
    }
}
