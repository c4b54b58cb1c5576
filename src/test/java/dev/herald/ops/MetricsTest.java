package dev.herald.ops;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.hamcrest.Matchers.hasItem;

import dev.herald.support.HttpApi;
import dev.herald.support.Management;
import dev.herald.support.Metrics;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.prometheus.client.exemplars.ExemplarSampler;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The herald_* metrics (README "Operations", docs/operations.md "Metrics to alert on") move with what
 * happens, and carry no topic or user.
 */
@QuarkusTest
class MetricsTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @TestHTTPResource("/")
    URI base;

    private final String token = TestTokens.admin();

    @Inject
    Optional<ExemplarSampler> exemplars;

    @Test
    void withTracingOffNoTimerSampleLooksForASpan() {
        assertTrue(exemplars.isEmpty(), "the Prometheus registry gets no exemplar sampler while tracing is off");
    }

    @Test
    void connectionsSubscriptionsPublishesAndDeliveriesAreCounted() {
        String topic = HttpApi.topic("metrics");
        double connections = Metrics.value("herald_connections", "transport=\"sse\"");
        double subscriptions = Metrics.value("herald_subscriptions");
        double published = Metrics.published();
        double deliveries = Metrics.value("herald_deliveries_total", "transport=\"sse\"");
        double latencyCount = Metrics.value("herald_delivery_latency_seconds_count", "transport=\"sse\"");
        try (SseClient sse = SseClient.open(base, List.of(topic, topic + "x"), token, null)) {
            sse.preamble(WAIT);
            assertEquals(connections + 1, Metrics.value("herald_connections", "transport=\"sse\""));
            assertEquals(subscriptions + 2, Metrics.value("herald_subscriptions"));
            HttpApi.publishOk(token, topic, "m", "1");
            sse.expectEvent(WAIT);
            assertEquals(published + 1, Metrics.published());
            assertEquals(deliveries + 1, Metrics.value("herald_deliveries_total", "transport=\"sse\""));
            assertEquals(latencyCount + 1, Metrics.value("herald_delivery_latency_seconds_count", "transport=\"sse\""));
        }
        await().atMost(WAIT).until(() -> Metrics.value("herald_connections", "transport=\"sse\"") == connections);
        assertEquals(subscriptions, Metrics.value("herald_subscriptions"));
    }

    @Test
    void replaysCountAsDeliveriesButNotInTheLiveLatencyHistogram() {
        String topic = HttpApi.topic("replay");
        String cursor;
        try (SseClient sse = SseClient.open(base, List.of(topic), token, null)) {
            cursor = sse.preamble(WAIT).id();
        }
        HttpApi.publishOk(token, topic, "m", "1");
        HttpApi.publishOk(token, topic, "m", "2");
        double replayed = Metrics.value("herald_events_replayed_total");
        double deliveries = Metrics.value("herald_deliveries_total", "transport=\"sse\"");
        double latencyCount = Metrics.value("herald_delivery_latency_seconds_count", "transport=\"sse\"");
        try (SseClient sse = SseClient.open(base, List.of(topic), token, cursor)) {
            sse.expectEvent(WAIT);
            sse.expectEvent(WAIT);
            assertEquals(replayed + 2, Metrics.value("herald_events_replayed_total"));
            assertEquals(deliveries + 2, Metrics.value("herald_deliveries_total", "transport=\"sse\""));
            assertEquals(latencyCount, Metrics.value("herald_delivery_latency_seconds_count", "transport=\"sse\""));
        }
    }

    @Test
    void resetsAndAuthFailuresAreCountedByReason() {
        double invalidCursor = Metrics.value("herald_resets_total", "reason=\"invalid-cursor\"");
        double missing = Metrics.value("herald_auth_failures_total", "reason=\"missing\"");
        double expired = Metrics.value("herald_auth_failures_total", "reason=\"expired\"");
        double forbidden = Metrics.value("herald_auth_failures_total", "reason=\"forbidden\"");
        try (SseClient sse = SseClient.open(base, List.of(HttpApi.topic("r")), token, "garbage")) {
            sse.expectEvent(WAIT);
        }
        assertEquals(invalidCursor + 1, Metrics.value("herald_resets_total", "reason=\"invalid-cursor\""));
        HttpApi.publish(null, "room:x", "{\"data\":1}").then().statusCode(401);
        HttpApi.publish(TestTokens.expired("bob"), "room:x", "{\"data\":1}").then().statusCode(401);
        HttpApi.publish(TestTokens.token("carol", List.of(), List.of("other:*")), "room:x", "{\"data\":1}")
                .then().statusCode(403);
        assertEquals(missing + 1, Metrics.value("herald_auth_failures_total", "reason=\"missing\""));
        assertEquals(expired + 1, Metrics.value("herald_auth_failures_total", "reason=\"expired\""));
        assertEquals(forbidden + 1, Metrics.value("herald_auth_failures_total", "reason=\"forbidden\""));
    }

    @Test
    void heraldMetricsHaveNoTopicOrUserLabels() {
        HttpApi.publishOk(token, HttpApi.topic("labels"), "m", "1");
        String text = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        List<String> herald = text.lines().filter(l -> l.startsWith("herald_")).toList();
        assertFalse(herald.isEmpty());
        for (String line : herald) {
            assertFalse(line.contains("topic=") || line.contains("user=") || line.contains("sub="), line);
        }
        assertTrue(herald.stream().anyMatch(l -> l.startsWith("herald_slow_consumer_disconnects_total")
                || l.startsWith("herald_events_published_total")));
    }

    @Test
    void metricsAndFullReportsAreOnTheManagementPortAndTheApiPortAnswersTheProbesVerdictsOnly() {
        for (String path : List.of("/q/metrics", "/q/health", "/q/health/ready", "/q/health/live", "/q/health/started")) {
            Management.given().get(path).then().statusCode(200);
        }
        for (String path : List.of("/q/metrics", "/q/health", "/q/health/well")) {
            given().get(path).then().statusCode(404);
        }
        Management.given().get("/q/health/ready").then().body("checks.name", hasItem("herald-broker"));
        for (String probe : List.of("ready", "live", "started")) {
            String body = given().get("/q/health/" + probe).then().statusCode(200)
                    .header("Cache-Control", "no-store").contentType("application/json").extract().asString();
            assertEquals("{\"status\":\"UP\"}", body, "the verdict alone, no checks or data");
        }
        Management.given().get("/v1/stats").then().statusCode(404);
        given().get("/v1/stats").then().statusCode(200);
    }
}
