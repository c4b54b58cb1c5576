package dev.herald.transport.sse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ErrorCode;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RouteProblems;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.TokenExtractor;
import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.hub.Hub;
import dev.herald.ops.Drain;
import dev.herald.transport.Admission;
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
    private final Admission admission;
    private final Admission.Places places;
    private final AllowedOrigins origins;
    private final Drain drain;
    private final HeraldConfig config;
    private final ObjectMapper mapper;

    public SseResource(Admission admission, AllowedOrigins origins, Hub hub, Drain drain, HeraldConfig config,
                       ObjectMapper mapper) {
        this.admission = admission;
        this.places = admission.nodePlaces(SseConnection.TRANSPORT);
        this.origins = origins;
        this.hub = hub;
        this.drain = drain;
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
        String lastEventId = ctx.request().getHeader("Last-Event-ID");
        String cursor = lastEventId != null && !lastEventId.isBlank() ? lastEventId.trim()
                : ctx.request().getParam("lastEventId");
        String token = TokenExtractor.extract(ctx.request(), origins);
        admission.admit(SseConnection.TRANSPORT, topics, token, cursor, Hub.Options.STREAM, places,
                Admission.http(ctx.response(), (scope, principal) -> {
                    if (ctx.request().version() == HttpVersion.HTTP_1_0) {
                        // A stream's HTTP/1.0 body has no length, so it ends with the connection
                        // (SseConnection closes it): never answer Connection: keep-alive, as Vert.x would
                        // if the client asked.
                        ctx.addHeadersEndHandler(v -> ctx.response().headers().set(HttpHeaders.CONNECTION,
                                HttpHeaders.CLOSE));
                    }
                    return new SseConnection(scope, Vertx.currentContext(), ctx.response(), hub, config.sse().heartbeat(),
                            config.sse().retry(), principal.expiresAt(), named, ctx.request());
                }, failure -> refuse(ctx, failure)));
    }

    /**
     * EventSource treats any answer but a 200 stream as final and never reconnects: what is temporary
     * (the node drains, is full, or its broker is unavailable) is a valid, empty stream with a
     * {@code retry:} instead, which makes it come back, to this node or another, with its Last-Event-ID.
     */
    private void refuse(RoutingContext ctx, Throwable failure) {
        long retry = drain.jitteredRetry().toMillis();
        switch (ErrorCode.of(failure)) {
            case SHUTTING_DOWN -> SseConnection.endForRetry(ctx.response(), SseFrames.shutdown(retry, null));
            case TOO_MANY_CONNECTIONS -> SseConnection.endForRetry(ctx.response(), SseFrames.full(retry));
            case BROKER_UNAVAILABLE -> SseConnection.endForRetry(ctx.response(), SseFrames.unavailable(retry));
            default -> fail(ctx, failure);
        }
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
        RouteProblems.send(ctx, mapper, ProblemMapping.map(failure));
    }
}
