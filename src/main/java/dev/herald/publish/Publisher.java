package dev.herald.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.auth.Principal;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.broker.Broker;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.config.HeraldConfig;
import dev.herald.event.Topic;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.tracing.Tracing;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way an event gets published, whoever sends it (the HTTP single and batch routes, the
 * WebSocket {@code publish} op, the dev profile's demo ticker): authorize, validate, publish through the
 * broker, count. Authorization and validation fail at once, by throwing
 * ({@link dev.herald.auth.AuthorizationException}, {@link dev.herald.event.InvalidInputException},
 * {@link dev.herald.api.PayloadTooLargeException}); the broker's answer comes later, through the
 * returned {@link Uni} (which fails with the broker's exceptions).
 */
@ApplicationScoped
public class Publisher {

    private final Broker broker;
    private final TopicAuthorizer authorizer;
    private final HeraldMetrics metrics;
    private final PublishParser parser;
    private final Tracing tracing;

    public Publisher(Broker broker, TopicAuthorizer authorizer, HeraldMetrics metrics, HeraldConfig config,
                     ObjectMapper mapper, Tracing tracing) {
        this.broker = broker;
        this.authorizer = authorizer;
        this.metrics = metrics;
        this.parser = new PublishParser(mapper, config.publish());
        this.tracing = tracing;
    }

    /** The parser of event bodies, with this node's limits. */
    public PublishParser parser() {
        return parser;
    }

    /** Whether publishes are traced: only then is a request's {@code traceparent} worth reading. */
    public boolean traced() {
        return tracing.enabled();
    }

    /** Whether {@code principal} may publish to {@code topic}; throws when not. Checked before a body is read. */
    public void requireRight(Principal principal, Topic topic) {
        authorizer.requirePublish(principal, topic);
    }

    /**
     * One event, {@code {"type","data"}} already parsed as JSON.
     *
     * @param idempotencyKey the client's key, checked; or null
     */
    public Uni<PublishResult> publish(Principal principal, Topic topic, JsonNode event, String idempotencyKey) {
        return publish(principal, topic, event, idempotencyKey, null);
    }

    /**
     * As {@link #publish(Principal, Topic, JsonNode, String)}, continuing the publisher's trace.
     *
     * @param traceparent the request's W3C {@code traceparent}, or null
     */
    public Uni<PublishResult> publish(Principal principal, Topic topic, JsonNode event, String idempotencyKey,
                                      String traceparent) {
        authorizer.requirePublish(principal, topic);
        PublishRequest request = parser.toRequest(topic, event, PublishParser.checkKey(idempotencyKey), false);
        Tracing.Span span = tracing.publish(topic, traceparent);
        return traced(span, broker.publish(span == null ? request : request.withTrace(span.traceparent())))
                .invoke(this::count);
    }

    /** A batch: every event is validated and authorized before any is published; each event is its own span. */
    public Uni<List<PublishResult>> publishAll(Principal principal, List<PublishRequest> requests, String traceparent) {
        for (PublishRequest r : requests) {
            authorizer.requirePublish(principal, r.topic());
        }
        List<Tracing.Span> spans = new ArrayList<>(requests.size());
        List<PublishRequest> traced = new ArrayList<>(requests.size());
        for (PublishRequest r : requests) {
            Tracing.Span span = tracing.publish(r.topic(), traceparent);
            spans.add(span);
            traced.add(r.withTrace(Tracing.Span.traceparent(span)));
        }
        return broker.publishAll(traced)
                .invoke(results -> {
                    for (int i = 0; i < results.size(); i++) {
                        end(spans.get(i), results.get(i));
                    }
                    results.forEach(this::count);
                })
                .onFailure().invoke(failure -> spans.forEach(span -> Tracing.Span.end(span, failure)));
    }

    private static Uni<PublishResult> traced(Tracing.Span span, Uni<PublishResult> publish) {
        if (span == null) {
            return publish;
        }
        return publish.invoke(result -> end(span, result)).onFailure().invoke(failure -> span.end(failure));
    }

    private static void end(Tracing.Span span, PublishResult result) {
        if (span != null) {
            span.attribute("messaging.message.id", result.id().toString())
                    .attribute("herald.duplicate", String.valueOf(result.duplicate())).end();
        }
    }

    /** An event the server itself sends (no client, no right to check), already valid. */
    public Uni<PublishResult> publishAsServer(PublishRequest request) {
        return broker.publish(request).invoke(this::count);
    }

    private void count(PublishResult result) {
        metrics.eventPublished(result.duplicate());
    }
}
