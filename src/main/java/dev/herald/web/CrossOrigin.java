package dev.herald.web;

import dev.herald.auth.AllowedOrigins;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * CORS for pages of other origins that use Herald ({@code herald.cors.origins}, the same list that the
 * WebSocket upgrade checks): {@code /herald.js} (a module script is fetched in CORS mode), SSE,
 * polls, history, presence and publishes. Allowed origins get {@code Access-Control-Allow-Origin}
 * and, for a listed origin, {@code Allow-Credentials} (the {@code herald_token} cookie); {@code *}
 * allows every origin without credentials, since a wildcard with credentials would let any site
 * act with a visitor's cookie. Preflights of allowed origins are answered here; others get no CORS
 * headers, so the browser keeps the answer from the page. Requests without {@code Origin} (servers,
 * curl) are untouched.
 */
@ApplicationScoped
public class CrossOrigin {

    static final String ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Last-Event-ID";
    static final String EXPOSE_HEADERS = "Retry-After";

    private final AllowedOrigins origins;

    public CrossOrigin(AllowedOrigins origins) {
        this.origins = origins;
    }

    void install(@Observes Router router) {
        // A plain route and a prefix test: a regex route was matched against every request's path.
        router.route().order(-2000).handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String origin = request.getHeader("Origin");
        if (origin == null) {
            ctx.next();
            return;
        }
        String path = request.path();
        if (path == null || !(path.startsWith("/v1/") || path.equals("/herald.js"))) {
            ctx.next();
            return;
        }
        boolean any = origins.any();
        if (origin == null || !(any || origins.listed(origin))) {
            ctx.next();
            return;
        }
        var headers = ctx.response().headers();
        headers.set("Access-Control-Allow-Origin", any ? "*" : origin);
        headers.add("Vary", "Origin");
        if (!any) {
            headers.set("Access-Control-Allow-Credentials", "true");
        }
        if (request.method() == HttpMethod.OPTIONS && request.getHeader("Access-Control-Request-Method") != null) {
            ctx.response().setStatusCode(204)
                    .putHeader("Access-Control-Allow-Methods", "GET, POST")
                    .putHeader("Access-Control-Allow-Headers", ALLOW_HEADERS)
                    .putHeader("Access-Control-Max-Age", "600")
                    .end();
            return;
        }
        headers.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
        ctx.next();
    }

}
