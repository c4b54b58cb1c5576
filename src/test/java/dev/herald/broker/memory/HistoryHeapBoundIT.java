package dev.herald.broker.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.support.HeraldProcess;
import dev.herald.support.Metrics;
import dev.herald.support.TestTokens;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged memory-broker node with a 256 MiB heap, attacked by a token that may publish to
 * {@code room:*}: batches of 15 events of 64 KiB each, every event to a topic of its own. Unbounded
 * history held about 1.9 MB per batch and the node died of OutOfMemoryError after 131 batches. With
 * the default (heap-sized) history budget it evicts the oldest events instead and keeps serving.
 */
class HistoryHeapBoundIT {

    /** More than the 131 batches that exhausted the heap. */
    private static final int BATCHES = 200;
    private static final int EVENTS_PER_BATCH = 15;
    private static final long HEAP = 256L << 20;

    @Test
    void batchesOfLargeEventsToDistinctTopicsCannotExhaustASmallHeap() throws Exception {
        // Exit on OutOfMemoryError as a container at its limit would: an exhausted heap shows as a dead node.
        try (HeraldProcess herald = HeraldProcess.start("history-heap-bound-it", Map.of(),
                List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"))) {
            String token = TestTokens.token("attacker", List.of(), List.of("room:*"));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String data = "\"" + "x".repeat(65_534) + "\""; // herald.publish.max-data-bytes: 65536
            for (int batch = 0; batch < BATCHES; batch++) {
                StringBuilder body = new StringBuilder(EVENTS_PER_BATCH * 65_600).append("{\"events\":[");
                for (int i = 0; i < EVENTS_PER_BATCH; i++) {
                    body.append(i == 0 ? "" : ",").append("{\"topic\":\"room:flood-").append(batch).append('-')
                            .append(i).append("\",\"data\":").append(data).append('}');
                }
                body.append("]}");
                HttpResponse<String> answer = send(herald, http, HttpRequest.newBuilder(herald.base().resolve("v1/events"))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())), "batch " + batch);
                assertEquals(202, answer.statusCode(), "batch " + batch + ": " + answer.body());
            }

            assertEquals(200, herald.managementStatus("/q/health/live"));
            HttpResponse<String> small = send(herald, http, HttpRequest.newBuilder(herald.base().resolve("v1/topics/room:after/events"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\":1}")), "the publish after the attack");
            assertEquals(202, small.statusCode(), small.body());

            String metrics = send(herald, http, HttpRequest.newBuilder(herald.management().resolve("q/metrics")).GET(),
                    "metrics").body();
            double held = Metrics.sample(metrics, "herald_history_bytes", "broker=\"memory\"");
            double bound = Metrics.sample(metrics, "herald_history_max_bytes", "broker=\"memory\"");
            double evicted = Metrics.sample(metrics, "herald_history_evictions_total", "broker=\"memory\"",
                    "reason=\"node-bytes\"");
            System.out.printf("history after %d batches: %.0f bytes held, bound %.0f, %.0f events evicted%n",
                    BATCHES, held, bound, evicted);
            assertTrue(bound > 0 && bound <= HEAP / 4, "the default bound is a quarter of the heap: " + bound);
            assertTrue(held > 0 && held <= bound, "history holds " + held + " bytes, bound " + bound);
            assertTrue(evicted > 0, "evictions are counted");
        }
    }

    private static HttpResponse<String> send(HeraldProcess herald, HttpClient http, HttpRequest.Builder request,
                                             String what) throws IOException, InterruptedException {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            String state = herald.process().isAlive() ? "alive" : "dead (exit " + herald.process().exitValue() + ")";
            String log = herald.log();
            fail(what + " failed (" + e + "); the node is " + state + "; log tail:\n"
                    + log.substring(Math.max(0, log.length() - 3000)));
            throw e;
        }
    }
}
