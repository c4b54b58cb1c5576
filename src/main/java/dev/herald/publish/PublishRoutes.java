package dev.herald.publish;

import dev.herald.auth.Principal;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.broker.PublishResult;
import dev.herald.event.Topic;
import dev.herald.web.JsonRoutes;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/topics/{topic}/events} and {@code POST /v1/events} (README, "API (v1)"), on the event
 * loop from the first byte to the answer.
 *
 * <p>Each request is checked in the order that costs least to an attacker's disadvantage: media type,
 * topic and declared length (headers only), then the token (a token seen before is a map lookup; a new
 * one is verified on a worker thread), then the right to publish to a path topic, and only then is the
 * body read (see {@link BodyReader}); checks and answers are the raw JSON routes' ({@link JsonRoutes}).
 */
@ApplicationScoped
public class PublishRoutes {

    @RegisterForReflection
    public record Accepted(String id, String topic, boolean duplicate) {
        static Accepted of(PublishResult r) {
            return new Accepted(r.id().toString(), r.topic().name(), r.duplicate());
        }
    }

    @RegisterForReflection
    public record BatchAccepted(List<Accepted> results) {
    }

    private final Publisher publisher;
    private final TopicAuthorizer authorizer;
    private final PublishParser parser;
    private final BodyReader bodies;
    private final JsonRoutes routes;

    public PublishRoutes(Publisher publisher, TopicAuthorizer authorizer, BodyReader bodies, JsonRoutes routes) {
        this.routes = routes;
        this.publisher = publisher;
        this.authorizer = authorizer;
        this.bodies = bodies;
        this.parser = publisher.parser();
    }

    /**
     * Before Quarkus's HTTP security handlers (orders -200 and -100), which Herald does not use (it
     * checks tokens itself, here) and which cost a publish a quarter of its CPU; after the request
     * guard, the drain and CORS.
     */
    static final int ORDER = -300;
    /** The W3C Trace Context header a publisher's trace arrives in. */
    static final String TRACEPARENT = "traceparent";

    void install(@Observes Router router) {
        router.post("/v1/topics/:topic/events").order(ORDER).handler(this::publish);
        router.post("/v1/events").order(ORDER).handler(this::publishBatch);
    }

    private void publish(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        // Paused at once: data arriving while the token is verified must wait, not be dropped.
        request.pause();
        Topic topic;
        String key;
        String traceparent = publisher.traced() ? request.getHeader(TRACEPARENT) : null;
        try {
            JsonRoutes.requireJson(request);
            topic = Topic.of(ctx.pathParam("topic"));
            key = PublishParser.checkKey(request.getHeader("Idempotency-Key"));
            JsonRoutes.requireDeclaredLength(request, bodies.maxBodyBytes());
        } catch (RuntimeException e) {
            refuse(ctx, e);
            return;
        }
        authorize(ctx, principal -> {
            publisher.requireRight(principal, topic);
            bodies.read(ctx.vertx(), request, guarded(ctx, body ->
                    publisher.publish(principal, topic, parser.parseObject(body), key, traceparent).subscribe().with(
                            result -> accepted(ctx, acceptedJson(result)),
                            failure -> refuse(ctx, failure))), failure -> refuseWhileReading(ctx, failure));
        });
    }

    private void publishBatch(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        request.pause();
        try {
            JsonRoutes.requireJson(request);
            JsonRoutes.requireDeclaredLength(request, bodies.maxBodyBytes());
        } catch (RuntimeException e) {
            refuse(ctx, e);
            return;
        }
        authorize(ctx, principal -> bodies.read(ctx.vertx(), request, guarded(ctx, body -> {
            publisher.publishAll(principal, parser.parseBatch(body),
                    publisher.traced() ? request.getHeader(TRACEPARENT) : null).subscribe().with(
                    results -> accepted(ctx, new BatchAccepted(results.stream().map(Accepted::of).toList())),
                    failure -> refuse(ctx, failure));
        }), failure -> refuseWhileReading(ctx, failure)));
    }

    /**
     * The answer to a single publish, written by hand: ids are digits and a dash, topic names carry no
     * character JSON would escape ({@link Topic}), and this is the hot path.
     */
    static String acceptedJson(PublishResult result) {
        return "{\"id\":\"" + result.id() + "\",\"topic\":\"" + result.topic().name() + "\",\"duplicate\":"
                + result.duplicate() + "}";
    }

    private void authorize(RoutingContext ctx, Handler<Principal> next) {
        routes.authorize(ctx, next);
    }

    private <T> Handler<T> guarded(RoutingContext ctx, Handler<T> handler) {
        return routes.guarded(ctx, handler);
    }

    private void accepted(RoutingContext ctx, Object answer) {
        routes.json(ctx, 202, answer);
    }

    private void refuse(RoutingContext ctx, Throwable failure) {
        routes.refuse(ctx, failure);
    }

    private void refuseWhileReading(RoutingContext ctx, Throwable failure) {
        routes.refuseWhileReading(ctx, failure);
    }
}
