package dev.herald.history;

import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.broker.Broker;
import dev.herald.config.HeraldConfig;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * {@code GET /v1/topics/{topic}/events?after={id}&limit={n}}: a topic's retained history, oldest
 * first. Reading history needs the right to subscribe to the topic. The answer also says whether
 * events after {@code after} were already dropped ({@code truncated}).
 */
@Path("/v1")
public class HistoryResource {

    static final int DEFAULT_LIMIT = 100;

    private final Broker broker;
    private final TopicAuthorizer authorizer;
    private final AllowedOrigins origins;
    private final int maxLimit;

    public HistoryResource(Broker broker, TopicAuthorizer authorizer, HeraldConfig config, AllowedOrigins origins) {
        this.origins = origins;
        this.broker = broker;
        this.authorizer = authorizer;
        this.maxLimit = config.history().maxPageSize();
    }

    @GET
    @Path("/topics/{topic}/events")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Uni<String> history(@PathParam("topic") String topicName, @QueryParam("after") String after,
                               @QueryParam("limit") String limit, @Context HttpServerRequest http) {
        Topic topic = Topic.of(topicName);
        EventId from = after == null || after.isEmpty() ? EventId.ZERO : EventId.parse(after);
        int n = parseLimit(limit);
        Principal principal = authorizer.authenticate(TokenExtractor.extract(http, origins));
        authorizer.requireSubscribe(principal, List.of(topic));
        return broker.read(topic, from, n).map(page -> {
            // The envelopes are already JSON: the page is assembled, not re-serialized.
            StringBuilder sb = new StringBuilder(64 + page.events().size() * 128).append("{\"events\":[");
            boolean first = true;
            for (Event e : page.events()) {
                if (!first) {
                    sb.append(',');
                }
                sb.append(e.envelope());
                first = false;
            }
            return sb.append("],\"truncated\":").append(page.truncated() && after != null && !after.isEmpty())
                    .append('}').toString();
        });
    }

    private int parseLimit(String limit) {
        if (limit == null || limit.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(limit);
            if (n >= 1 && n <= maxLimit) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new InvalidInputException("limit must be a whole number from 1 to " + maxLimit);
    }
}
