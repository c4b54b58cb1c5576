package dev.herald.tracing;

import dev.herald.event.Event;
import dev.herald.event.Topic;
import java.time.Instant;
import java.util.function.IntSupplier;

/**
 * What Herald records of an event's way, from the publisher to the subscribers on every node, and of a
 * job's way from its enqueue to its settlement (README, "Tracing"). {@link #OFF} unless the OpenTelemetry
 * SDK is configured on: then every call costs a null check and nothing else.
 *
 * <ul>
 *   <li>A publish runs in a span that continues the publisher's {@code traceparent}; its own traceparent
 *   is stored with the event ({@link Event#trace()}), so clients read it in the envelope and every node
 *   that delivers the event continues the trace.</li>
 *   <li>A node's live fan-out of a traced event is one span per event (not per delivery), a child of the
 *   publish span and linked to it, with the number of local deliveries.</li>
 *   <li>A job's enqueue span is stored with the job; its lease and settlement spans on any node are
 *   children of it.</li>
 * </ul>
 * Every method may be called on an event loop; none blocks.
 */
public interface Tracing {

    /** Records nothing. */
    Tracing OFF = new Tracing() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public Span publish(Topic topic, String parent) {
            return null;
        }

        @Override
        public void fanOut(Event event, IntSupplier deliver) {
            deliver.getAsInt();
        }

        @Override
        public Span job(String operation, String queue, String jobId, String jobTrace, String parent,
                        Instant started) {
            return null;
        }
    };

    /** Whether spans are recorded; when not, every other method does nothing and returns null. */
    boolean enabled();

    /**
     * Starts the span of a publish to {@code topic}: a child of the span current on this thread (the HTTP
     * server span, which continued the request's {@code traceparent}), else of {@code parent}.
     *
     * @param parent the request's {@code traceparent}, or null
     * @return the span, whose {@link Span#traceparent()} the event is stored with; null when off
     */
    Span publish(Topic topic, String parent);

    /**
     * Runs {@code deliver} (which offers the event to this node's subscriptions and answers how many) in
     * a fan-out span when the event is traced; just runs it otherwise.
     */
    void fanOut(Event event, IntSupplier deliver);

    /**
     * Starts the span of a job operation ({@code enqueue}, {@code lease}, {@code progress}, {@code ack},
     * {@code nack}): a child of the job's stored trace when it has one ({@code jobTrace}), else of the
     * request's. An enqueue span's traceparent is what the job is stored with.
     *
     * @param started when the operation began (a settlement's span is started once the store answered,
     *                when the job's trace is known), or null for now
     * @return the span, or null when off
     */
    Span job(String operation, String queue, String jobId, String jobTrace, String parent, Instant started);

    /** A started span. */
    interface Span {

        /** The W3C traceparent naming this span, for a stored event or job to carry. */
        String traceparent();

        /** Adds a string attribute (the id an operation was given, once known). */
        Span attribute(String key, String value);

        /** Ends the span; with a failure, it is marked as an error first. Idempotent. */
        void end(Throwable failure);

        default void end() {
            end(null);
        }

        /** {@code span.end(failure)}, null-safe: the span of a call made while tracing is off is null. */
        static void end(Span span, Throwable failure) {
            if (span != null) {
                span.end(failure);
            }
        }

        /** The span's traceparent, or null for no span. */
        static String traceparent(Span span) {
            return span == null ? null : span.traceparent();
        }
    }
}
