package dev.herald.transport.sse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RouteProblems;
import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.hub.Hub;
import dev.herald.ops.ConnectionLimits;
import dev.herald.ops.Drain;
import dev.herald.metrics.HeraldMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * {@code GET /v1/stream?topic=a&topic=b}: Server-Sent Events (README, "SSE details").
 *
 * <p>A raw Vert.x route rather than a JAX-RS {@code Multi}: the stream writes pre-encoded frame bytes
 * shared by every connection, applies its own per-connection backpressure, and decides 400/401/403/503
 * before the head is written (JAX-RS cannot change the status of a started stream).
 */
@ApplicationScoped
public class SseResource {

    private final Hub hub;
    private final TopicAuthorizer authorizer;
    private final AllowedOrigins origins;
    private final Drain drain;
    private final HeraldMetrics metrics;
    private final HeraldConfig config;
    private final ObjectMapper mapper;
    private final ConnectionLimits limits;

    public SseResource(AllowedOrigins origins, Hub hub, TopicAuthorizer authorizer, Drain drain, HeraldMetrics metrics, HeraldConfig config,
                       ObjectMapper mapper, ConnectionLimits limits) {
        this.origins = origins;
        this.limits = limits;
        this.hub = hub;
        this.authorizer = authorizer;
        this.drain = drain;
        this.metrics = metrics;
        this.config = config;
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        router.get("/v1/stream").handler(this::stream);
    }

    private void stream(RoutingContext ctx) {
        List<Topic> topics;
        boolean named;
        try {
            topics = Topic.listOf(ctx.queryParam("topic"), config.subscription().maxTopics());
            named = named(ctx.request().getParam("named"));
        } catch (InvalidInputException e) {
            fail(ctx, e);
            return;
        }
        if (!drain.accepting()) {
            // Shutting down: the same answer open streams get, without a position (the client keeps its own).
            SseConnection.endForRetry(ctx.response(), SseFrames.shutdown(drain.jitteredRetry().toMillis(), null));
            return;
        }
        String token = TokenExtractor.extract(ctx.request(), origins);
        String lastEventId = ctx.request().getHeader("Last-Event-ID");
        String cursor = lastEventId != null && !lastEventId.isBlank() ? lastEventId.trim()
                : ctx.request().getParam("lastEventId");
        Context context = Vertx.currentContext();
        // Token verification may touch files or a JWKS endpoint: off the event loop, unordered so that
        // connections arriving on one event loop are verified in parallel.
        context.executeBlocking(() -> {
            Principal principal = authorizer.authenticateForStream(token);
            authorizer.requireSubscribe(principal, topics);
            return principal;
        }, false).onComplete(authorized -> {
            if (authorized.failed()) {
                fail(ctx, authorized.cause());
                return;
            }
            // Streams without a token have places of their own, so that they can never fill the node.
            Runnable release = authorized.result().isAnonymous() ? limits.tryOpenAnonymous(SseConnection.TRANSPORT)
                    : limits.tryOpen(SseConnection.TRANSPORT);
            if (release == null) {
                // The node is full: like a drain, a stream that makes EventSource come back later (maybe to
                // another node) rather than a 503, after which it would never reconnect.
                SseConnection.endForRetry(ctx.response(), SseFrames.full(drain.jitteredRetry().toMillis()));
                return;
            }
            // Whichever way the response ends: ended normally, or its connection closed.
            ctx.response().endHandler(v -> release.run());
            if (ctx.request().version() == HttpVersion.HTTP_1_0) {
                // A stream's HTTP/1.0 body has no length, so it ends with the connection (SseConnection
                // closes it): never answer Connection: keep-alive, as Vert.x would if the client asked.
                ctx.addHeadersEndHandler(v -> ctx.response().headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE));
            }
            SseConnection connection = new SseConnection(context, ctx.response(), hub, drain, metrics,
                    config.sse().heartbeat(), config.sse().retry(), authorized.result().expiresAt(), named, release,
                    ctx.request());
            hub.open(topics, cursor == null || cursor.isEmpty() ? null : cursor, connection)
                    .subscribe().with(
                            subscription -> context.runOnContext(v -> connection.start(subscription)),
                            failure -> context.runOnContext(v -> {
                                if (failure instanceof BrokerUnavailableException) {
                                    // Transient: let EventSource retry instead of giving up on a 503.
                                    SseConnection.endForRetry(ctx.response(),
                                            SseFrames.unavailable(drain.jitteredRetry().toMillis()));
                                } else {
                                    fail(ctx, failure);
                                }
                            }));
        });
    }

    /**
     * {@code named=false} leaves out the {@code event:} line of events: EventSource delivers a named
     * event only to a listener for that very name, so a browser client that does not know every type
     * in advance asks for unnamed frames and reads the type from the envelope. Server notices
     * ({@code herald.*}) stay named.
     */
    private static boolean named(String value) {
        if (value == null || value.equals("true")) {
            return true;
        }
        if (value.equals("false")) {
            return false;
        }
        throw new InvalidInputException("named is true or false");
    }

    private void fail(RoutingContext ctx, Throwable failure) {
        Throwable cause = ProblemMapping.unwrap(failure);
        RouteProblems.send(ctx, mapper, ProblemMapping.map(cause));
    }
}
