package dev.herald.jobs.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HeraldProcess;
import dev.herald.support.TestTokens;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * 10,000 workers wait for jobs on one packaged node at once: the node holds its
 * {@code herald.jobs.max-waiting-leases} (1,000), answers the rest 503 with {@code Retry-After} at once,
 * stays responsive meanwhile, and hands jobs enqueued then to waiting workers.
 */
class WaitingLeasesIT {

    private static final int WAITERS = 10_000;
    private static final int LIMIT = 1_000;

    private final String worker = TestTokens.queues("w", List.of(), List.of("crowd:*"), List.of());
    private final String client = TestTokens.queues("c", List.of("crowd:*"), List.of(), List.of("crowd:*"));
    private HeraldProcess node;
    private HttpClient http;

    @BeforeEach
    void start() throws Exception {
        node = HeraldProcess.start("waiting-leases", Map.of("herald.jobs.max-waiting-leases", String.valueOf(LIMIT)));
        // HTTP/1.1 as workers speak it (the JDK client would try an h2c upgrade per request otherwise).
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterEach
    void stop() {
        http.shutdownNow();
        node.close();
    }

    @Test
    void tenThousandWaitingWorkersAreBoundedAnd503sCarryRetryAfter() throws Exception {
        AtomicInteger refused = new AtomicInteger();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        AtomicInteger refusedWithoutRetryAfter = new AtomicInteger();
        List<CompletableFuture<HttpResponse<String>>> leases = new ArrayList<>();
        for (int i = 0; i < WAITERS; i++) {
            CompletableFuture<HttpResponse<String>> lease = http.sendAsync(HttpRequest.newBuilder(
                            node.base().resolve("v1/queues/crowd:q/leases?wait=60"))
                    .header("Authorization", "Bearer " + worker).timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            leases.add(lease.whenComplete((r, e) -> {
                outcomes.merge(r != null ? String.valueOf(r.statusCode()) : String.valueOf(e), 1, Integer::sum);
                if (r != null && r.statusCode() == 503) {
                    refused.incrementAndGet();
                    if (r.headers().firstValue("Retry-After").isEmpty()) {
                        refusedWithoutRetryAfter.incrementAndGet();
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(60)).alias("answers so far: " + outcomes)
                .until(() -> refused.get() >= WAITERS - LIMIT);
        assertEquals(Map.of("503", WAITERS - LIMIT), outcomes, "exactly the leases beyond the limit are answered");
        assertEquals(0, refusedWithoutRetryAfter.get());
        assertEquals(LIMIT, waiting(), "the node holds its limit of waiting leases");

        // Still responsive: an enqueue is answered, and a waiting worker gets the job.
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> enqueued = http.send(HttpRequest.newBuilder(node.base().resolve("v1/queues/crowd:q/jobs"))
                    .header("Authorization", "Bearer " + client).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\":" + i + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, enqueued.statusCode(), enqueued.body());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> leases.stream()
                .filter(f -> f.isDone() && !f.isCompletedExceptionally() && f.join().statusCode() == 200
                        && f.join().body().contains("\"lease\"")).count() == 10);
        assertEquals(LIMIT - 10, waiting());
        assertTrue(node.process().isAlive());
        System.out.printf("waiting leases: %d asked at once, %d held, %d refused with Retry-After, 10 jobs handed to "
                + "waiting workers%n", WAITERS, LIMIT, refused.get());
    }

    private int waiting() throws Exception {
        HttpResponse<String> counts = http.send(HttpRequest.newBuilder(node.base().resolve("v1/queues/crowd:q"))
                .header("Authorization", "Bearer " + client).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, counts.statusCode(), counts.body());
        String body = counts.body();
        int at = body.indexOf("\"waitingWorkers\":") + 17;
        return Integer.parseInt(body.substring(at, body.indexOf('}', at)));
    }

}
