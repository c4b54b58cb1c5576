package dev.herald.tracing;

import dev.herald.event.Event;
import dev.herald.event.Topic;
import dev.herald.event.TraceParent;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * {@link Tracing} on the OpenTelemetry API (the SDK and OTLP exporter that Quarkus configures). Span names
 * are few and fixed ({@code herald publish}, {@code herald deliver}, {@code herald job <operation>}); the
 * topic, queue and ids are attributes, following OpenTelemetry's messaging conventions where they have a
 * name for it.
 */
public final class OtelTracing implements Tracing {

    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<Long> DELIVERIES = AttributeKey.longKey("herald.deliveries");
    static final AttributeKey<String> NODE = AttributeKey.stringKey("herald.node");

    private final Tracer tracer;
    private final String node;

    public OtelTracing(OpenTelemetry openTelemetry, String node) {
        this.tracer = openTelemetry.getTracer("dev.herald");
        this.node = node;
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public Span publish(Topic topic, String parent) {
        return new OtelSpan(tracer.spanBuilder("herald publish")
                .setParent(requestContext(parent))
                .setSpanKind(SpanKind.PRODUCER)
                .setAttribute(SYSTEM, "herald")
                .setAttribute(DESTINATION, topic.name())
                .setAttribute(OPERATION, "send")
                .setAttribute(NODE, node)
                .startSpan());
    }

    @Override
    public void fanOut(Event event, IntSupplier deliver) {
        SpanContext publish = spanContext(event.trace());
        if (publish == null) {
            deliver.getAsInt();
            return;
        }
        io.opentelemetry.api.trace.Span span = tracer.spanBuilder("herald deliver")
                .setParent(Context.root().with(io.opentelemetry.api.trace.Span.wrap(publish)))
                .addLink(publish)
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(SYSTEM, "herald")
                .setAttribute(DESTINATION, event.topic().name())
                .setAttribute(OPERATION, "process")
                .setAttribute(MESSAGE_ID, event.id().toString())
                .setAttribute(NODE, node)
                .startSpan();
        try {
            span.setAttribute(DELIVERIES, deliver.getAsInt());
        } finally {
            span.end();
        }
    }

    @Override
    public Span job(String operation, String queue, String jobId, String jobTrace, String parent, Instant started) {
        SpanContext stored = spanContext(jobTrace);
        var builder = tracer.spanBuilder("herald job " + operation)
                .setSpanKind("enqueue".equals(operation) ? SpanKind.PRODUCER : SpanKind.CONSUMER)
                .setAttribute(SYSTEM, "herald")
                .setAttribute(DESTINATION, queue)
                .setAttribute(OPERATION, operation)
                .setAttribute(NODE, node);
        if (jobId != null) {
            builder.setAttribute(MESSAGE_ID, jobId);
        }
        if (started != null) {
            builder.setStartTimestamp(started);
        }
        if (stored != null) {
            builder.setParent(Context.root().with(io.opentelemetry.api.trace.Span.wrap(stored))).addLink(stored);
        } else {
            builder.setParent(requestContext(parent));
        }
        return new OtelSpan(builder.startSpan());
    }

    /** The current span's context (the HTTP server span) when there is one, else the request's traceparent. */
    private static Context requestContext(String parent) {
        Context current = Context.current();
        if (io.opentelemetry.api.trace.Span.fromContext(current).getSpanContext().isValid()) {
            return current;
        }
        SpanContext remote = spanContext(parent);
        return remote == null ? Context.root() : Context.root().with(io.opentelemetry.api.trace.Span.wrap(remote));
    }

    /** The remote span a stored or received traceparent names, or null. */
    static SpanContext spanContext(String traceparent) {
        if (!TraceParent.isValid(traceparent)) {
            return null;
        }
        SpanContext context = SpanContext.createFromRemoteParent(TraceParent.traceId(traceparent),
                TraceParent.spanId(traceparent), TraceFlags.fromHex(traceparent, 53), TraceState.getDefault());
        return context.isValid() ? context : null;
    }

    private static final class OtelSpan implements Span {
        private final io.opentelemetry.api.trace.Span span;
        private final AtomicBoolean ended = new AtomicBoolean();

        OtelSpan(io.opentelemetry.api.trace.Span span) {
            this.span = span;
        }

        @Override
        public String traceparent() {
            SpanContext c = span.getSpanContext();
            return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
        }

        @Override
        public Span attribute(String key, String value) {
            span.setAttribute(key, value);
            return this;
        }

        @Override
        public void end(Throwable failure) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            if (failure != null) {
                span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
            }
            span.end();
        }
    }
}
