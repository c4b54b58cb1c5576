package dev.herald.ops;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HeraldProcess;
import dev.herald.support.JdkWsClient;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM on the packaged application (prod profile): readiness goes DOWN first, open SSE streams get
 * {@code herald.shutdown} with a jittered {@code retry} and their current cursor, and the process exits
 * within {@code quarkus.shutdown.timeout}.
 */
class GracefulShutdownIT {

    @Test
    void sigtermTurnsReadinessDownThenTellsStreamsToGoAndExitsWithinTheTimeout() throws Exception {
        Map<String, String> config = Map.of(
                "herald.shutdown.drain-delay", "2s",
                "herald.shutdown.spread", "1s",
                "herald.sse.retry", "2s",
                "quarkus.shutdown.timeout", "30s");
        try (HeraldProcess herald = HeraldProcess.start("graceful-shutdown-it", config)) {
            String token = TestTokens.admin();
            List<SseClient> streams = List.of(
                    SseClient.open(herald.base(), List.of("room:a"), token, null),
                    SseClient.open(herald.base(), List.of("room:a", "room:b"), token, null),
                    SseClient.open(herald.base(), List.of("room:c"), token, null));
            for (SseClient s : streams) {
                assertEquals(200, s.status(), s.errorBody());
                assertNotNull(s.next(Duration.ofSeconds(5)), "preamble");
            }
            JdkWsClient ws = JdkWsClient.connect(herald.base(), token);
            assertEquals("subscribed", ws.subscribe("[\"room:a\"]", null).get("type").asText());
            assertEquals(200, herald.managementStatus("/q/health/ready"));

            long signalled = System.nanoTime();
            herald.process().destroy(); // SIGTERM

            // Readiness is DOWN while the node still serves, before any stream is told to go.
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                    .until(() -> herald.managementStatus("/q/health/ready") == 503);
            for (SseClient s : streams) {
                assertTrue(!s.ended(), "streams stay open during the drain delay");
            }
            assertEquals(200, herald.managementStatus("/q/health/live"), "liveness only reflects the process");

            for (SseClient s : streams) {
                SseClient.Frame shutdown = s.nextEvent(Duration.ofSeconds(8));
                assertNotNull(shutdown, "no herald.shutdown event");
                assertEquals("herald.shutdown", shutdown.event());
                assertNotNull(shutdown.retry(), "herald.shutdown carries retry:");
                assertTrue(shutdown.retry() >= 2000 && shutdown.retry() <= 3000,
                        "retry is the base retry plus a jitter within the spread: " + shutdown.retry());
                assertNotNull(shutdown.id(), "herald.shutdown carries the cursor to resume from");
                await().atMost(Duration.ofSeconds(3)).until(s::ended);
            }
            JdkWsClient.Closed closed = ws.awaitClose(Duration.ofSeconds(8));
            assertEquals(1001, closed.code(), "WebSockets are told to go away");
            assertTrue(closed.reason().matches(".*retry=\\d+"), "with a reconnect hint: " + closed.reason());
            // Once every connection is gone nothing is in flight: the process exits, without waiting for
            // quarkus.shutdown.timeout (30s here). An upgraded WebSocket request that Quarkus' graceful
            // shutdown still counted as in flight made it wait the whole timeout.
            assertTrue(herald.process().waitFor(15, TimeUnit.SECONDS), "the process waited for the shutdown timeout");
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            System.out.printf("graceful shutdown: exit %d after %d ms%n", herald.process().exitValue(), tookMillis);
            streams.forEach(SseClient::close);
        }
    }
}
