package dev.herald.publish;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.PayloadTooLargeException;
import dev.herald.api.Problem;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RouteProblems;
import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.broker.Broker;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.metrics.HeraldMetrics;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import jakarta.ws.rs.NotSupportedException;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /v1/topics/{topic}/events} and {@code POST /v1/events} (README, "API (v1)"), on the event
 * loop from the first byte to the answer.
 *
 * <p>Each request is checked in the order that costs least to an attacker's disadvantage: media type,
 * topic and declared length (headers only), then the token (a token seen before is a map lookup; a new
 * one is verified on a worker thread), then the right to publish to a path topic, and only then is the
 * body read (see {@link BodyReader}). A request refused before its body was read is answered with
 * {@code Connection: close}; the node discards a bounded part of the body so the client can read the
 * answer, then closes.
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

    /** Bytes of an unread body discarded after an early refusal, so the client reads the answer; then close. */
    private static final long DISCARD_BYTES = 4 * 1024 * 1024;
    private static final long DISCARD_MILLIS = 2000;

    private final Publisher publisher;
    private final TopicAuthorizer authorizer;
    private final PublishParser parser;
    private final BodyReader bodies;
    private final ObjectMapper mapper;
    private final AllowedOrigins origins;

    public PublishRoutes(Publisher publisher, TopicAuthorizer authorizer, ObjectMapper mapper, BodyReader bodies,
                         AllowedOrigins origins) {
        this.origins = origins;
        this.publisher = publisher;
        this.authorizer = authorizer;
        this.mapper = mapper;
        this.bodies = bodies;
        this.parser = publisher.parser();
    }

    /**
     * Before Quarkus's HTTP security handlers (orders -200 and -100), which Herald does not use (it
     * checks tokens itself, here) and which cost a publish a quarter of its CPU; after the request
     * guard, the drain and CORS.
     */
    static final int ORDER = -300;

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
        try {
            requireJson(request);
            topic = Topic.of(ctx.pathParam("topic"));
            key = PublishParser.checkKey(request.getHeader("Idempotency-Key"));
            requireDeclaredLength(request);
        } catch (RuntimeException e) {
            refuse(ctx, e);
            return;
        }
        authorize(ctx, principal -> {
            publisher.requireRight(principal, topic);
            bodies.read(ctx.vertx(), request, guarded(ctx, body ->
                    publisher.publish(principal, topic, parser.parseObject(body), key).subscribe().with(
                            result -> accepted(ctx, acceptedJson(result)),
                            failure -> refuse(ctx, failure))), failure -> refuseWhileReading(ctx, failure));
        });
    }

    private void publishBatch(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        request.pause();
        try {
            requireJson(request);
            requireDeclaredLength(request);
        } catch (RuntimeException e) {
            refuse(ctx, e);
            return;
        }
        authorize(ctx, principal -> bodies.read(ctx.vertx(), request, guarded(ctx, body -> {
            publisher.publishAll(principal, parser.parseBatch(body)).subscribe().with(
                    results -> accepted(ctx, new BatchAccepted(results.stream().map(Accepted::of).toList())),
                    failure -> refuse(ctx, failure));
        }), failure -> refuseWhileReading(ctx, failure)));
    }

    /**
     * Runs {@code next} with the request's principal: at once for a token verified before (or no token),
     * else after verifying it on a worker thread. A failure of {@code next} is answered as a problem.
     */
    private void authorize(RoutingContext ctx, Handler<Principal> next) {
        String token = TokenExtractor.extract(ctx.request(), origins);
        Principal known;
        try {
            known = authorizer.cached(token);
        } catch (RuntimeException e) {
            refuse(ctx, e);
            return;
        }
        if (known != null) {
            run(ctx, next, known);
            return;
        }
        ctx.vertx().executeBlocking(() -> authorizer.authenticate(token), false).onComplete(verified -> {
            if (verified.failed()) {
                refuse(ctx, verified.cause());
            } else {
                run(ctx, next, verified.result());
            }
        });
    }

    private void run(RoutingContext ctx, Handler<Principal> next, Principal principal) {
        guarded(ctx, next).handle(principal);
    }

    /** {@code handler}, with what it throws (invalid input, refused rights) answered as a problem. */
    private <T> Handler<T> guarded(RoutingContext ctx, Handler<T> handler) {
        return value -> {
            try {
                handler.handle(value);
            } catch (RuntimeException e) {
                refuse(ctx, e);
            }
        };
    }

    /**
     * Only bodies declared as JSON are read (415 otherwise, also without a Content-Type): a cross-site
     * form or beacon cannot send {@code application/json} without a CORS preflight.
     */
    private static void requireJson(HttpServerRequest request) {
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null) {
            throw new NotSupportedException();
        }
        int semicolon = type.indexOf(';');
        String mediaType = (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw new NotSupportedException();
        }
    }

    /** A declared length over the limit is refused before anything else is spent on the request. */
    private void requireDeclaredLength(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return;
        }
        long declared;
        try {
            declared = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException("Content-Length is not a number");
        }
        if (declared > bodies.maxBodyBytes()) {
            throw new PayloadTooLargeException("the request body is " + declared + " bytes; the limit is "
                    + bodies.maxBodyBytes());
        }
    }

    /**
     * The answer to a single publish, written by hand: ids are digits and a dash, topic names carry no
     * character JSON would escape ({@link Topic}), and this is the hot path.
     */
    static String acceptedJson(PublishResult result) {
        return "{\"id\":\"" + result.id() + "\",\"topic\":\"" + result.topic().name() + "\",\"duplicate\":"
                + result.duplicate() + "}";
    }

    private void accepted(RoutingContext ctx, Object answer) {
        String json;
        try {
            json = answer instanceof String s ? s : mapper.writeValueAsString(answer);
        } catch (JsonProcessingException e) {
            refuse(ctx, e);
            return;
        }
        ctx.response().setStatusCode(202).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json);
    }

    /**
     * Answers a problem. When the request's body was not read to its end, the answer says
     * {@code Connection: close}, a bounded part of the rest is discarded (closing with unread bytes would
     * reset the connection, and the client could lose the answer) and the connection is closed.
     */
    private void refuse(RoutingContext ctx, Throwable failure) {
        answer(ctx, failure, true);
    }

    /** A body that came too slowly, too large or too many at once: answered, and the connection closed at once. */
    private void refuseWhileReading(RoutingContext ctx, Throwable failure) {
        answer(ctx, failure, false);
    }

    private void answer(RoutingContext ctx, Throwable failure, boolean discardRest) {
        HttpServerResponse response = ctx.response();
        if (response.ended()) {
            return;
        }
        ProblemMapping.Mapped mapped = ProblemMapping.map(ProblemMapping.unwrap(failure));
        String body = RouteProblems.body(mapper, mapped.problem());
        HttpServerRequest request = ctx.request();
        response.setStatusCode(mapped.problem().status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        mapped.headers().forEach(response::putHeader);
        if (request.isEnded()) {
            response.end(body);
            return;
        }
        response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        response.end(body).onComplete(written -> {
            if (!discardRest || request.isEnded()) {
                request.connection().close();
                return;
            }
            // Once the answer is out, the HTTP layer reads on to the end of the request; it gets a bounded
            // time and number of bytes to do so.
            long timer = ctx.vertx().setTimer(DISCARD_MILLIS, id -> request.connection().close());
            long[] left = {DISCARD_BYTES};
            request.handler(chunk -> {
                left[0] -= chunk.length();
                if (left[0] < 0) {
                    ctx.vertx().cancelTimer(timer);
                    request.connection().close();
                }
            });
            request.endHandler(v -> {
                ctx.vertx().cancelTimer(timer);
                request.connection().close();
            });
            request.exceptionHandler(e -> ctx.vertx().cancelTimer(timer));
            request.resume();
        });
    }
}
