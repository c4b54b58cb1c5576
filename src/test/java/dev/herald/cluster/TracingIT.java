package dev.herald.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HeraldProcess;
import dev.herald.support.JdkWsClient;
import dev.herald.support.NodeApi;
import dev.herald.support.OtlpCollector;
import dev.herald.support.PollClient;
import dev.herald.support.RedisServer;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A trace from a publisher to the subscribers of two packaged nodes on one Redis: both nodes export
 * their spans over OTLP to an in-memory collector of the test. The publish on node A continues the
 * publisher's {@code traceparent}; the event, stored with the publish span's context, reaches node B
 * through Redis, and each node records its fan-out as one span, a child of the publish span, with the
 * number of its local deliveries; every transport hands the client the event's {@code traceparent}.
 */
class TracingIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String CLIENT_SPAN = "00f067aa0ba902b7";
    static final String TOKEN = TestTokens.admin();

    static OtlpCollector collector;
    static RedisServer redis;
    static HeraldProcess a;
    static HeraldProcess b;

    @BeforeAll
    static void startNodes() throws Exception {
        collector = OtlpCollector.start();
        redis = RedisServer.startNew();
        Map<String, String> config = new HashMap<>(Map.of(
                "herald.broker", "redis",
                "quarkus.redis.hosts", redis.url(),
                "quarkus.otel.sdk.disabled", "false",
                "quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf",
                "quarkus.otel.exporter.otlp.traces.endpoint", collector.endpoint(),
                "quarkus.otel.bsp.schedule.delay", "100ms"));
        Map<String, String> configA = new HashMap<>(config);
        configA.put("herald.node-name", "trace-a");
        Map<String, String> configB = new HashMap<>(config);
        configB.put("herald.node-name", "trace-b");
        List<HeraldProcess> both = HeraldProcess.startBoth("tracing-a", configA, "tracing-b", configB);
        a = both.get(0);
        b = both.get(1);
    }

    @AfterAll
    static void stopNodes() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, redis, collector}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    @Test
    void aPublishersTraceContinuesThroughTheStoredEventToOneFanOutSpanPerNode() throws Exception {
        String topic = "traced:orders";
        try (SseClient onA = SseClient.open(a.base(), List.of(topic), TOKEN, null);
             SseClient onB1 = SseClient.open(b.base(), List.of(topic), TOKEN, null);
             SseClient onB2 = SseClient.open(b.base(), List.of(topic), TOKEN, null);
             JdkWsClient wsOnB = JdkWsClient.connect(b.base(), TOKEN)) {
            assertEquals(200, onA.status(), onA.errorBody());
            wsOnB.send("{\"op\":\"subscribe\",\"topics\":[\"" + topic + "\"]}");
            wsOnB.expect("subscribed");
            String cursor = PollClient.to(b.base(), List.of(topic)).token(TOKEN).timeout(1).send().ok().cursor();
            CompletableFuture<PollClient.Answer> pollOnB = PollClient.to(b.base(), List.of(topic)).token(TOKEN)
                    .cursor(cursor).timeout(20).hold();
            // Three SSE, one WebSocket and one held poll: node A has 1 subscriber of the topic, node B 4.
            await().atMost(WAIT).until(() -> subscriptions(b) == 4 && subscriptions(a) == 1);

            HttpResponse<String> published = HttpClient.newHttpClient().send(NodeApi.publishRequest(a.base(), TOKEN,
                            topic, "{\"type\":\"order\",\"data\":{\"n\":1}}", WAIT)
                    .header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, published.statusCode(), published.body());
            String id = JSON.readTree(published.body()).path("id").asText();

            String traceparent = envelope(onA).path("traceparent").asText();
            assertTrue(traceparent.startsWith("00-" + CLIENT_TRACE + "-"), "the event continues the publisher's trace: " + traceparent);
            assertEquals(traceparent, envelope(onB1).path("traceparent").asText());
            assertEquals(traceparent, envelope(onB2).path("traceparent").asText());
            assertEquals(traceparent, wsOnB.expect("event").path("event").path("traceparent").asText());
            assertEquals(traceparent, String.valueOf(pollOnB.get(30, java.util.concurrent.TimeUnit.SECONDS).ok()
                    .events().get(0).get("traceparent")));
            String publishSpan = traceparent.substring(36, 52);

            await().atMost(WAIT).until(() -> fanOuts(id).size() >= 2);
            OtlpCollector.Span publish = collector.spans("herald publish").stream()
                    .filter(s -> s.spanId().equals(publishSpan)).findFirst().orElse(null);
            assertNotNull(publish, "node A exported the publish span the event names: " + collector.spans());
            assertEquals(CLIENT_TRACE, publish.traceId());
            assertEquals("trace-a", publish.attribute("herald.node"));
            assertEquals(topic, publish.attribute("messaging.destination.name"));
            assertEquals(id, publish.attribute("messaging.message.id"));
            assertTrue(leadsTo(publish, CLIENT_SPAN), "the publish span descends from the publisher's span");

            List<OtlpCollector.Span> fanOuts = fanOuts(id);
            assertEquals(2, fanOuts.size(), "one fan-out span per node, not one per delivery: " + fanOuts);
            Map<String, String> deliveriesByNode = new HashMap<>();
            for (OtlpCollector.Span fanOut : fanOuts) {
                assertEquals(CLIENT_TRACE, fanOut.traceId());
                assertEquals(publishSpan, fanOut.parentSpanId(), "a child of the publish span");
                assertEquals(List.of(new OtlpCollector.Link(CLIENT_TRACE, publishSpan)), fanOut.links());
                assertEquals(id, fanOut.attribute("messaging.message.id"));
                deliveriesByNode.put(fanOut.attribute("herald.node"), fanOut.attribute("herald.deliveries"));
            }
            assertEquals(Map.of("trace-a", "1", "trace-b", "4"), deliveriesByNode);
        }
    }

    @Test
    void aWebSocketPublishContinuesTheTraceItsOpNames() throws Exception {
        String topic = "traced:ws";
        String trace = "5bf92f3577b34da6a3ce929d0e0e4736";
        try (JdkWsClient ws = JdkWsClient.connect(b.base(), TOKEN)) {
            ws.send("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":1,\"traceparent\":\"00-" + trace
                    + "-00f067aa0ba902b7-01\",\"ref\":1}");
            assertEquals(1, ws.expect("ack").path("ref").asInt());
        }
        JsonNode events = JSON.readTree(HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        a.base().resolve("/v1/topics/" + topic + "/events")).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("events");
        assertEquals(1, events.size());
        assertTrue(events.get(0).path("traceparent").asText().startsWith("00-" + trace + "-"), events.toString());
    }

    @Test
    void aJobsLeaseAndAckOnAnotherNodeAreChildrenOfItsEnqueueSpanAndItsEventsCarryItsTrace() throws Exception {
        String token = TestTokens.queues("tracer", List.of("*"), List.of("*"), List.of());
        String clientTrace = "0af7651916cd43dd8448eb211c80319c";
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> enqueued = http.send(java.net.http.HttpRequest.newBuilder(a.base().resolve("/v1/queues/traced/jobs"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("traceparent", "00-" + clientTrace + "-b7ad6b7169203331-01")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"type\":\"mail\",\"data\":{\"to\":\"x\"}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, enqueued.statusCode(), enqueued.body());
        String id = JSON.readTree(enqueued.body()).path("id").asText();

        JsonNode job = JSON.readTree(post(http, b, token, "/v1/queues/traced/leases?max=1&wait=5", "")).path("jobs").get(0);
        assertEquals(id, job.path("id").asText());
        String jobTrace = job.path("traceparent").asText();
        assertTrue(jobTrace.startsWith("00-" + clientTrace + "-"), "the leased job carries its enqueue's trace: " + job);
        post(http, b, token, "/v1/jobs/" + id + "/ack", "{\"lease\":\"" + job.path("lease").asText() + "\",\"result\":1}");

        String enqueueSpan = jobTrace.substring(36, 52);
        await().atMost(WAIT).until(() -> collector.spans("herald job ack").stream().anyMatch(s -> id.equals(s.attribute("messaging.message.id"))));
        OtlpCollector.Span enqueue = collector.spans("herald job enqueue").stream()
                .filter(s -> s.spanId().equals(enqueueSpan)).findFirst().orElse(null);
        assertNotNull(enqueue, "node A exported the enqueue span: " + collector.spans());
        assertEquals("trace-a", enqueue.attribute("herald.node"));
        assertTrue(leadsTo(enqueue, "b7ad6b7169203331"), "the enqueue span descends from the client's span");
        for (String name : List.of("herald job lease", "herald job ack")) {
            OtlpCollector.Span span = collector.spans(name).stream().filter(s -> id.equals(s.attribute("messaging.message.id")))
                    .findFirst().orElseThrow(() -> new AssertionError(name + " not exported: " + collector.spans()));
            assertEquals(clientTrace, span.traceId(), name);
            assertEquals(enqueueSpan, span.parentSpanId(), name + " is a child of the enqueue span");
            assertEquals("trace-b", span.attribute("herald.node"), name);
        }
        // The job's lifecycle on its topic, read on node B, carries the job's trace.
        JsonNode events = JSON.readTree(http.send(java.net.http.HttpRequest.newBuilder(
                        b.base().resolve("/v1/topics/job:" + id + "/events")).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("events");
        assertEquals(List.of("job.queued", "job.active", "job.succeeded"),
                java.util.stream.StreamSupport.stream(events.spliterator(), false).map(e -> e.path("type").asText()).toList());
        for (JsonNode event : events) {
            assertEquals(jobTrace, event.path("traceparent").asText(), event.toString());
        }
    }

    private static List<OtlpCollector.Span> fanOuts(String eventId) {
        return collector.spans("herald deliver").stream().filter(s -> eventId.equals(s.attribute("messaging.message.id"))).toList();
    }

    private static String post(HttpClient http, HeraldProcess node, String token, String path, String body) throws Exception {
        HttpResponse<String> answer = http.send(java.net.http.HttpRequest.newBuilder(node.base().resolve(path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), path + ": " + answer.body());
        return answer.body();
    }

    /** Whether {@code span}'s parent chain, as far as the collector has it, reaches {@code ancestor}. */
    private static boolean leadsTo(OtlpCollector.Span span, String ancestor) {
        String parent = span.parentSpanId();
        for (int hops = 0; hops < 10 && !parent.isEmpty(); hops++) {
            if (parent.equals(ancestor)) {
                return true;
            }
            String current = parent;
            parent = collector.spans().stream().filter(s -> s.spanId().equals(current)).map(OtlpCollector.Span::parentSpanId)
                    .findFirst().orElse("");
        }
        return false;
    }

    private static JsonNode envelope(SseClient stream) throws Exception {
        SseClient.Frame frame = stream.nextEvent(WAIT);
        assertNotNull(frame, "an event arrives");
        return JSON.readTree(frame.data());
    }

    /** The node's subscriptions ({@code /v1/stats}): this test's subscribers are the only ones. */
    private static long subscriptions(HeraldProcess node) throws Exception {
        HttpResponse<String> stats = HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                node.base().resolve("/v1/stats")).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(stats.body()).path("subscriptions").asLong(-1);
    }
}
