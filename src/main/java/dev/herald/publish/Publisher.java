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
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
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

    public Publisher(Broker broker, TopicAuthorizer authorizer, HeraldMetrics metrics, HeraldConfig config,
                     ObjectMapper mapper) {
        this.broker = broker;
        this.authorizer = authorizer;
        this.metrics = metrics;
        this.parser = new PublishParser(mapper, config.publish());
    }

    /** The parser of event bodies, with this node's limits. */
    public PublishParser parser() {
        return parser;
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
        authorizer.requirePublish(principal, topic);
        PublishRequest request = parser.toRequest(topic, event, PublishParser.checkKey(idempotencyKey), false);
        return broker.publish(request).invoke(this::count);
    }

    /** A batch: every event is validated and authorized before any is published. */
    public Uni<List<PublishResult>> publishAll(Principal principal, List<PublishRequest> requests) {
        for (PublishRequest r : requests) {
            authorizer.requirePublish(principal, r.topic());
        }
        return broker.publishAll(requests).invoke(results -> results.forEach(this::count));
    }

    /** An event the server itself sends (no client, no right to check), already valid. */
    public Uni<PublishResult> publishAsServer(PublishRequest request) {
        return broker.publish(request).invoke(this::count);
    }

    private void count(PublishResult result) {
        metrics.eventPublished(result.duplicate());
    }
}
