package dev.herald.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.PayloadTooLargeException;
import dev.herald.api.Problem;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RouteProblems;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.event.InvalidInputException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.NotSupportedException;
import java.util.Locale;

/**
 * What the raw JSON routes (publish, jobs) share, on the event loop: the token check, the media type and
 * declared-length checks, and answers, problems included.
 *
 * <p>A request refused before its body was read is answered with {@code Connection: close}; the node
 * discards a bounded part of the body so that the client can read the answer, then closes.
 */
@ApplicationScoped
public class JsonRoutes {

    /** Bytes of an unread body discarded after an early refusal, so the client reads the answer; then close. */
    private static final long DISCARD_BYTES = 4 * 1024 * 1024;
    private static final long DISCARD_MILLIS = 2000;

    private final TopicAuthorizer authorizer;
    private final AllowedOrigins origins;
    private final ObjectMapper mapper;

    public JsonRoutes(TopicAuthorizer authorizer, AllowedOrigins origins, ObjectMapper mapper) {
        this.authorizer = authorizer;
        this.origins = origins;
        this.mapper = mapper;
    }

    /**
     * Runs {@code next} with the request's principal: at once for a token verified before (or no token),
     * else after verifying it on a worker thread. A failure of {@code next} is answered as a problem.
     */
    public void authorize(RoutingContext ctx, Handler<Principal> next) {
        String token = TokenExtractor.extract(ctx.request(), origins);
        Principal known;
        try {
            known = authorizer.cached(token);
        } catch (RuntimeException e) {
            refuse(ctx, e);
            return;
        }
        if (known != null) {
            guarded(ctx, next).handle(known);
            return;
        }
        ctx.vertx().executeBlocking(() -> authorizer.authenticate(token), false).onComplete(verified -> {
            if (verified.failed()) {
                refuse(ctx, verified.cause());
            } else {
                guarded(ctx, next).handle(verified.result());
            }
        });
    }

    /** {@code handler}, with what it throws (invalid input, refused rights) answered as a problem. */
    public <T> Handler<T> guarded(RoutingContext ctx, Handler<T> handler) {
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
    public static void requireJson(HttpServerRequest request) {
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
    public static void requireDeclaredLength(HttpServerRequest request, long maxBodyBytes) {
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
        if (declared > maxBodyBytes) {
            throw new PayloadTooLargeException("the request body is " + declared + " bytes; the limit is "
                    + maxBodyBytes);
        }
    }

    /** Answers {@code status} with a JSON body: a string as it is, anything else through the mapper. */
    public void json(RoutingContext ctx, int status, Object answer) {
        String json;
        try {
            json = answer instanceof String s ? s : mapper.writeValueAsString(answer);
        } catch (JsonProcessingException e) {
            refuse(ctx, e);
            return;
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json);
    }

    /**
     * Answers a problem. When the request's body was not read to its end, the answer says
     * {@code Connection: close}, a bounded part of the rest is discarded (closing with unread bytes would
     * reset the connection, and the client could lose the answer) and the connection is closed.
     */
    public void refuse(RoutingContext ctx, Throwable failure) {
        answer(ctx, failure, true);
    }

    /** A body that came too slowly, too large or too many at once: answered, and the connection closed at once. */
    public void refuseWhileReading(RoutingContext ctx, Throwable failure) {
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
