package dev.herald.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.broker.Broker;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.config.HeraldConfig;
import dev.herald.event.Topic;
import dev.herald.ops.HeraldMetrics;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;

/** {@code POST /v1/topics/{topic}/events} and {@code POST /v1/events} (DESIGN.md section 4). */
@Path("/v1")
public class PublishResource {

    @RegisterForReflection
    public record Accepted(String id, String topic, boolean duplicate) {
        static Accepted of(PublishResult r) {
            return new Accepted(r.id().toString(), r.topic().name(), r.duplicate());
        }
    }

    @RegisterForReflection
    public record BatchAccepted(List<Accepted> results) {
    }

    private final Broker broker;
    private final TopicAuthorizer authorizer;
    private final HeraldMetrics metrics;
    private final PublishParser parser;

    public PublishResource(Broker broker, TopicAuthorizer authorizer, HeraldMetrics metrics,
                           HeraldConfig config, ObjectMapper mapper) {
        this.broker = broker;
        this.authorizer = authorizer;
        this.metrics = metrics;
        this.parser = new PublishParser(mapper, config.publish());
    }

    @POST
    @Path("/topics/{topic}/events")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Uni<Response> publish(@PathParam("topic") String topicName,
                                 @HeaderParam("Idempotency-Key") String idempotencyKey,
                                 @Context HttpServerRequest http, String body) {
        requireContentType(http);
        Topic topic = Topic.of(topicName);
        Principal principal = authorizer.authenticate(TokenExtractor.extract(http));
        authorizer.requirePublish(principal, topic);
        JsonNode root = parser.parseObject(body);
        PublishRequest request = parser.toRequest(topic, root, PublishParser.checkKey(idempotencyKey), false);
        return broker.publish(request).map(result -> {
            metrics.eventPublished(result.duplicate());
            return Response.accepted(Accepted.of(result)).build();
        });
    }

    @POST
    @Path("/events")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Uni<Response> publishBatch(@Context HttpServerRequest http, String body) {
        requireContentType(http);
        Principal principal = authorizer.authenticate(TokenExtractor.extract(http));
        List<PublishRequest> requests = parser.parseBatch(body);
        // All are validated and authorized before any is published.
        for (PublishRequest r : requests) {
            authorizer.requirePublish(principal, r.topic());
        }
        return broker.publishAll(requests).map(results -> {
            List<Accepted> accepted = new ArrayList<>(results.size());
            for (PublishResult r : results) {
                metrics.eventPublished(r.duplicate());
                accepted.add(Accepted.of(r));
            }
            return Response.accepted(new BatchAccepted(accepted)).build();
        });
    }

    /**
     * {@code @Consumes} refuses a wrong Content-Type but lets a request without one through; a body
     * without a declared type is refused too (415), so that only clients that say they send JSON can
     * publish (a cross-site form or beacon cannot set {@code application/json} without a preflight).
     */
    private static void requireContentType(HttpServerRequest http) {
        String contentType = http.getHeader("Content-Type");
        if (contentType == null || contentType.isBlank()) {
            throw new NotSupportedException();
        }
    }
}
