package dev.herald.broker.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.NodeApi;
import dev.herald.support.RedisServer;
import dev.herald.support.RedisTestResource;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What a publisher is told while Redis stalls ({@code CLIENT PAUSE}): 503 only for events that were
 * not stored, 504 {@code publish-outcome-unknown} where Herald cannot know, and a retry of those with
 * the same Idempotency-Key stores each event once.
 */
@QuarkusTest
@TestProfile(RedisPublishOutcomeTest.Stalling.class)
class RedisPublishOutcomeTest {

    public static class Stalling implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RedisTestResource.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            // A small pool: during the stall some publishes are written (504) and the rest wait for a
            // connection that Redis does not hand out in time (503).
            return Map.of("herald.redis.publish-timeout", "1s", "herald.redis.command-timeout", "1s",
                    "quarkus.redis.max-pool-size", "4");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PUBLISHES = 24;

    @TestHTTPResource("/")
    URI base;

    private final String token = TestTokens.admin();

    @Test
    void aPublishAnswered503DuringARedisStallWasNotStoredAndOneAnswered504IsStoredOnceOnRetry() throws Exception {
        RedisServer redis = RedisTestResource.server();
        String topic = HttpApi.topic("stall");
        double unknownBefore = Metrics.value("herald_publish_outcome_unknown_total");
        // Warm the pool, so that some publishes are written to Redis before the stall is noticed.
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            List<CompletableFuture<HttpResponse<String>>> warm = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                warm.add(send(http, topic, "warm-" + i, -1 - i));
            }
            for (CompletableFuture<HttpResponse<String>> w : warm) {
                assertEquals(202, w.get().statusCode());
            }

            assertEquals("+OK", redis.command("CLIENT", "PAUSE", "3000"));
            Map<Integer, CompletableFuture<HttpResponse<String>>> answers = new HashMap<>();
            for (int i = 0; i < PUBLISHES; i++) {
                answers.put(i, send(http, topic, "k-" + i, i));
            }
            Map<Integer, Integer> status = new HashMap<>();
            for (var e : answers.entrySet()) {
                HttpResponse<String> response = e.getValue().get();
                status.put(e.getKey(), response.statusCode());
                if (response.statusCode() != 202) {
                    JsonNode problem = JSON.readTree(response.body());
                    assertTrue(response.headers().firstValue("Retry-After").isPresent(), response.toString());
                    String expected = response.statusCode() == 503 ? "urn:herald:problem:broker-unavailable"
                            : "urn:herald:problem:publish-outcome-unknown";
                    assertEquals(expected, problem.path("type").asText(), response.body());
                    assertTrue(response.statusCode() == 503 || response.statusCode() == 504, response.body());
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> "+PONG".equals(redis.command("PING")));

            // Every 504 is retried with its key: it says duplicate (stored during the stall) or stores now.
            for (var e : status.entrySet()) {
                if (e.getValue() == 504) {
                    assertEquals(202, send(http, topic, "k-" + e.getKey(), e.getKey()).get().statusCode());
                }
            }
            List<Object> stored = HttpApi.history(topic, "limit=1000").then().statusCode(200)
                    .extract().jsonPath().getList("events.data.seq");
            for (var e : status.entrySet()) {
                long copies = stored.stream().filter(seq -> seq.equals(e.getKey())).count();
                if (e.getValue() == 503) {
                    assertEquals(0, copies, "publish " + e.getKey() + " was answered 503 but stored: " + status);
                } else {
                    assertEquals(1, copies, "publish " + e.getKey() + " (" + e.getValue() + ") stored " + copies + " times");
                }
            }
            long unknown = status.values().stream().filter(s -> s == 504).count();
            assertTrue(unknown > 0, "no publish was caught in flight by the stall: " + status);
            assertEquals(unknownBefore + unknown, Metrics.value("herald_publish_outcome_unknown_total"));
            System.out.printf("Redis stall: %s (status -> count)%n", status.values().stream()
                    .collect(java.util.stream.Collectors.groupingBy(s -> s, java.util.stream.Collectors.counting())));
        }
    }

    @Test
    void aWebSocketPublishCaughtByARedisStallIsAnsweredOutcomeUnknownAndItsRetryStoresItOnce() throws Exception {
        RedisServer redis = RedisTestResource.server();
        String topic = HttpApi.topic("wsstall");
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             WsClient ws = WsClient.to(base).bearer(token).connect()) {
            List<CompletableFuture<HttpResponse<String>>> warm = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                warm.add(send(http, topic, "warm-" + i, -1 - i));
            }
            for (CompletableFuture<HttpResponse<String>> w : warm) {
                assertEquals(202, w.get().statusCode());
            }
            String publish = "{\"op\":\"publish\",\"topic\":\"" + topic
                    + "\",\"type\":\"m\",\"data\":{\"seq\":7},\"idempotencyKey\":\"ws-7\",\"ref\":\"%s\"}";

            assertEquals("+OK", redis.command("CLIENT", "PAUSE", "3000"));
            ws.send(publish.formatted("p1"));
            JsonNode error = ws.expect("error");
            assertEquals("outcome-unknown", error.path("code").asText(), error.toString());
            assertEquals("p1", error.path("ref").asText());
            await().atMost(Duration.ofSeconds(10)).until(() -> "+PONG".equals(redis.command("PING")));

            ws.send(publish.formatted("p2"));
            JsonNode ack = ws.expect("ack");
            assertEquals("p2", ack.path("ref").asText());
            List<Object> stored = HttpApi.history(topic, "limit=1000").then().statusCode(200)
                    .extract().jsonPath().getList("events.data.seq");
            assertEquals(1, stored.stream().filter(seq -> seq.equals(7)).count(), "stored " + stored);
        }
    }

    private CompletableFuture<HttpResponse<String>> send(HttpClient http, String topic, String key, int seq) {
        HttpRequest request = NodeApi.publishRequest(base, token, topic, NodeApi.seqEvent("m", seq),
                Duration.ofSeconds(15)).header("Idempotency-Key", key).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }
}
