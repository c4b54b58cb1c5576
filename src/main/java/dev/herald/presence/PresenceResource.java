package dev.herald.presence;

import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * {@code GET /v1/topics/{topic}/presence}: who is in a topic, cluster-wide. Members are WebSocket
 * subscriptions of authenticated users; reading presence needs the right to subscribe to the topic.
 */
@Path("/v1")
public class PresenceResource {

    @RegisterForReflection
    public record Presence(String topic, int connections, List<String> users) {
    }

    private final PresenceTracker tracker;
    private final TopicAuthorizer authorizer;
    private final AllowedOrigins origins;

    public PresenceResource(PresenceTracker tracker, TopicAuthorizer authorizer, AllowedOrigins origins) {
        this.origins = origins;
        this.tracker = tracker;
        this.authorizer = authorizer;
    }

    @GET
    @Path("/topics/{topic}/presence")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Uni<Presence> presence(@PathParam("topic") String topicName, @Context HttpServerRequest http) {
        Topic topic = Topic.of(topicName);
        Principal principal = authorizer.authenticate(TokenExtractor.extract(http, origins));
        authorizer.requireSubscribe(principal, List.of(topic));
        if (!tracker.tracks(topic)) {
            throw new InvalidInputException("presence is not tracked for topic '" + topic + "' (herald.presence.topics)");
        }
        return tracker.snapshot(topic).map(s -> new Presence(s.topic(), s.connections(), s.users()));
    }
}
