package dev.herald.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ErrorCode;
import dev.herald.api.Problem;
import dev.herald.api.RouteProblems;
import dev.herald.metrics.HeraldMetrics;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Checks every HTTP request before any route sees it, for how it is framed and addressed rather than
 * what it asks.
 *
 * <ul>
 *   <li>Request smuggling (RFC 9112 section 6.3): a request with both {@code Transfer-Encoding} and
 *       {@code Content-Length}, or with a transfer coding other than exactly {@code chunked}, can be
 *       framed one way by a proxy in front of Herald and another way here; the bytes one side takes for
 *       a body the other runs as a second request. A transfer coding other than {@code chunked}, two
 *       {@code Transfer-Encoding} fields, or one on HTTP/1.0, is answered 400 and the connection closed.
 *       Netty, under Vert.x, drops the {@code Content-Length} of a chunked request before Herald sees it,
 *       so both together cannot be told from a plain chunked request: every chunked request is read by
 *       its chunks, answered, and its connection closed, as RFC 9112 requires, and a request that
 *       follows it on that connection is never run.</li>
 *   <li>Dot segments: {@code /v1/topics/../events} (or {@code %2e%2e}) would be routed, after
 *       normalization, to a resource the client did not name, past any proxy rule written for the
 *       path it did name. 400.</li>
 *   <li>Requests the HTTP layer itself refuses (no {@code Host} on HTTP/1.1, a malformed URI) get a
 *       problem, counted and logged at DEBUG: a client's mistake is not the node's error, and logging it
 *       at ERROR would let any client flood the log.</li>
 * </ul>
 */
@ApplicationScoped
public class RequestGuard {

    private static final Logger LOG = Logger.getLogger(RequestGuard.class);
    /** Marks a connection that carried a chunked request: it closes after that request's answer. */
    private static final AttributeKey<Boolean> AFTER_CHUNKED = AttributeKey.valueOf("herald.after-chunked");

    private final HeraldMetrics metrics;
    private final ObjectMapper mapper;

    public RequestGuard(HeraldMetrics metrics, ObjectMapper mapper) {
        this.metrics = metrics;
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        router.route().order(-5000).handler(this::check).failureHandler(this::quietClientFailure);
    }

    private void check(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        Channel channel = request.connection() instanceof ConnectionBase base ? base.channel() : null;
        if (channel != null && channel.hasAttr(AFTER_CHUNKED)) {
            // Bytes after a chunked request on its connection: what a smuggler sends. Never run.
            metrics.requestRefused("smuggling");
            LOG.debug("dropped a request that followed a chunked request on its connection");
            request.pause();
            request.connection().close();
            return;
        }
        if (ambiguousFraming(request)) {
            metrics.requestRefused("smuggling");
            LOG.debugf("refused a request with ambiguous framing (Transfer-Encoding %s, Content-Length %s)",
                    request.headers().getAll(HttpHeaders.TRANSFER_ENCODING), request.getHeader(HttpHeaders.CONTENT_LENGTH));
            // Paused, the request never ends for the HTTP layer, so the connection never moves on to
            // whatever followed it; the answer goes out and the connection closes.
            request.pause();
            send(ctx, 400, ErrorCode.AMBIGUOUS_FRAMING,
                    "a request has either Content-Length or Transfer-Encoding: chunked, not both, nor another coding", true);
            return;
        }
        if (channel != null && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            channel.attr(AFTER_CHUNKED).set(Boolean.TRUE);
            ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            ctx.addEndHandler(v -> request.connection().close());
        }
        if (hasDotSegment(request.path())) {
            metrics.requestRefused("dot-segments");
            send(ctx, 400, ErrorCode.INVALID_PATH, "the path has '.' or '..' segments", false);
            return;
        }
        ctx.next();
    }

    static boolean ambiguousFraming(HttpServerRequest request) {
        if (request.version() == HttpVersion.HTTP_2) {
            return false;
        }
        List<String> codings = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (codings.isEmpty()) {
            return false;
        }
        return codings.size() > 1
                || !codings.get(0).equalsIgnoreCase("chunked")
                || request.headers().contains(HttpHeaders.CONTENT_LENGTH)
                || request.version() == HttpVersion.HTTP_1_0;
    }

    /** Whether a raw (not yet decoded) path has a {@code .} or {@code ..} segment, plain or percent-encoded. */
    static boolean hasDotSegment(String path) {
        if (path == null || (path.indexOf('.') < 0 && path.indexOf('%') < 0)) {
            return false; // the common case, without splitting the path
        }
        int start = 0;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String segment = path.substring(start, end).toLowerCase(Locale.ROOT).replace("%2e", ".");
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private void quietClientFailure(RoutingContext ctx) {
        int status = ctx.statusCode();
        if (status < 400 || status >= 500 || ctx.response().headWritten()) {
            ctx.next();
            return;
        }
        metrics.requestRefused("malformed-request");
        LOG.debugf("refused a malformed request (%d): %s", status,
                ctx.failure() == null ? "" : ctx.failure().getMessage());
        send(ctx, status, ErrorCode.BAD_REQUEST, ctx.failure() == null || ctx.failure().getMessage() == null
                ? "the request is malformed" : ctx.failure().getMessage(), false);
    }

    private void send(RoutingContext ctx, int status, ErrorCode code, String detail, boolean close) {
        HttpServerResponse response = ctx.response();
        String body = RouteProblems.body(mapper, Problem.of(status, code.slug(), code.title(), detail));
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        if (close) {
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            response.end(body).onComplete(v -> ctx.request().connection().close());
        } else {
            response.end(body);
        }
    }
}
