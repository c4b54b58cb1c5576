package dev.herald.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.broker.memory.MemoryBroker;
import dev.herald.event.Event;
import dev.herald.event.Topic;
import dev.herald.hub.Hub;
import dev.herald.metrics.MicrometerMetrics;
import dev.herald.support.CollectingSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Herald's spans on the OpenTelemetry SDK with an in-memory exporter: a publish continuing a client's
 * trace, the hub's one fan-out span per event (not per delivery), and a job's operations under its
 * enqueue span. Across two packaged nodes: {@code TracingIT}.
 */
class OtelTracingTest {

    static final String CLIENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final OtelTracing tracing = new OtelTracing(
            OpenTelemetrySdk.builder().setTracerProvider(provider).build(), "node-1");
    private final MemoryBroker broker = new MemoryBroker(new Retention(100, Duration.ofHours(1), 1000, Duration.ofMinutes(1)));
    private final Hub hub = new Hub(broker, new MicrometerMetrics(new SimpleMeterRegistry()), 10, 25, Duration.ZERO,
            null, tracing);

    @AfterEach
    void close() {
        provider.close();
        broker.close();
    }

    @Test
    void aPublishContinuesTheClientsTraceAndEachNodeFansOutInOneSpanCountingItsDeliveries() {
        Topic topic = Topic.of("orders");
        List<CollectingSink> sinks = List.of(open(topic), open(topic), open(topic));

        Tracing.Span publish = tracing.publish(topic, CLIENT);
        PublishResult result = broker.publish(new PublishRequest(topic, "m", "1", null).withTrace(publish.traceparent()))
                .await().atMost(Duration.ofSeconds(5));
        publish.attribute("messaging.message.id", result.id().toString()).end();

        for (CollectingSink sink : sinks) {
            assertEquals(1, sink.events.size());
            assertEquals(publish.traceparent(), sink.events.get(0).trace());
        }
        SpanData publishSpan = only("herald publish");
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", publishSpan.getTraceId());
        assertEquals("00f067aa0ba902b7", publishSpan.getParentSpanId());
        assertEquals(SpanKind.PRODUCER, publishSpan.getKind());
        SpanData fanOut = only("herald deliver");
        assertEquals(publishSpan.getTraceId(), fanOut.getTraceId());
        assertEquals(publishSpan.getSpanId(), fanOut.getParentSpanId());
        assertEquals(publishSpan.getSpanId(), fanOut.getLinks().get(0).getSpanContext().getSpanId());
        assertEquals(3L, fanOut.getAttributes().get(OtelTracing.DELIVERIES));
        assertEquals("node-1", fanOut.getAttributes().get(OtelTracing.NODE));
        assertEquals(result.id().toString(), fanOut.getAttributes().get(OtelTracing.MESSAGE_ID));
    }

    @Test
    void anUntracedEventIsFannedOutWithoutASpan() {
        Topic topic = Topic.of("plain");
        CollectingSink sink = open(topic);

        broker.publish(new PublishRequest(topic, "m", "1", null)).await().atMost(Duration.ofSeconds(5));

        assertEquals(1, sink.events.size());
        assertNull(sink.events.get(0).trace());
        assertTrue(exporter.getFinishedSpanItems().isEmpty(), exporter.getFinishedSpanItems().toString());
    }

    @Test
    void aPublishWithoutAClientTraceStartsOne() {
        Tracing.Span publish = tracing.publish(Topic.of("orders"), null);
        publish.end();
        publish.end(new IllegalStateException("ending twice records nothing more"));

        SpanData span = only("herald publish");
        assertEquals("0000000000000000", span.getParentSpanId());
        assertTrue(publish.traceparent().startsWith("00-" + span.getTraceId() + "-" + span.getSpanId()));
    }

    @Test
    void aJobsLeaseAndAckOnAnyNodeAreChildrenOfItsEnqueueSpan() {
        Tracing.Span enqueue = tracing.job("enqueue", "emails", null, null, CLIENT, null);
        String stored = enqueue.attribute("messaging.message.id", "j1").traceparent();
        enqueue.end();
        OtelTracing otherNode = new OtelTracing(OpenTelemetrySdk.builder().setTracerProvider(provider).build(), "node-2");
        otherNode.job("lease", "emails", "j1", stored, null, java.time.Instant.now()).end();
        otherNode.job("ack", "emails", "j1", stored, "00-11111111111111111111111111111111-2222222222222222-01", null)
                .end(new IllegalStateException("a failed ack is marked as an error"));

        SpanData enqueued = only("herald job enqueue");
        assertEquals("00f067aa0ba902b7", enqueued.getParentSpanId());
        for (String name : List.of("herald job lease", "herald job ack")) {
            SpanData span = only(name);
            assertEquals(enqueued.getTraceId(), span.getTraceId(), name);
            assertEquals(enqueued.getSpanId(), span.getParentSpanId(), name);
            assertEquals("node-2", span.getAttributes().get(OtelTracing.NODE));
            assertEquals("j1", span.getAttributes().get(OtelTracing.MESSAGE_ID));
        }
        assertEquals(io.opentelemetry.api.trace.StatusCode.ERROR, only("herald job ack").getStatus().getStatusCode());
    }

    private SpanData only(String name) {
        List<SpanData> spans = exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
        assertEquals(1, spans.size(), name + " in " + exporter.getFinishedSpanItems());
        return spans.get(0);
    }

    private CollectingSink open(Topic topic) {
        CollectingSink sink = new CollectingSink();
        sink.subscription = hub.open(List.of(topic), null, sink).await().atMost(Duration.ofSeconds(5));
        sink.subscription.drain(sink);
        return sink;
    }
}
