package dev.herald.web;

import dev.herald.config.HeraldConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

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

    private final Set<String> origins;
    private final boolean any;

    public CrossOrigin(HeraldConfig config) {
        List<String> configured = config.cors().origins().orElse(List.of());
        this.any = configured.contains("*");
        this.origins = configured.stream().map(o -> normalize(o)).collect(Collectors.toSet());
    }

    void install(@Observes Router router) {
        router.routeWithRegex("/herald\\.js|/v1/.*").order(-2000).handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String origin = request.getHeader("Origin");
        if (origin == null || !(any || origins.contains(normalize(origin)))) {
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

    static String normalize(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }
}
