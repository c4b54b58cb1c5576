package dev.herald.auth;

import dev.herald.config.HeraldConfig;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code herald.cors.origins}: the origins of pages allowed to use Herald across origins, read once
 * for the places that check them (CORS headers, the WebSocket upgrade's {@code Origin}, whether a
 * request's cookie may authenticate it).
 */
@ApplicationScoped
public class AllowedOrigins {

    private final Set<String> listed;
    private final boolean any;

    public AllowedOrigins(HeraldConfig config) {
        List<String> configured = config.cors().origins().orElse(List.of());
        this.any = configured.contains("*");
        this.listed = configured.stream().map(AllowedOrigins::normalize).collect(Collectors.toSet());
    }

    /** Whether {@code *} is configured: every origin, without credentials. */
    public boolean any() {
        return any;
    }

    /** Whether this origin is named in the list. */
    public boolean listed(String origin) {
        return listed.contains(normalize(origin));
    }

    /**
     * Whether a request may be authenticated by the {@code herald_token} cookie: it carries no
     * {@code Origin} (not a browser, or a same-origin navigation), or comes from this server's own
     * origin or one named in the list. Not from any origin under {@code *}: that means "any origin,
     * without credentials", and a cookie is a credential the browser attaches on its own (cross-site
     * WebSocket hijacking: an evil page subscribing to {@code user:victim} with the victim's cookie).
     */
    public boolean cookieTrusted(HttpServerRequest request) {
        String origin = request.getHeader("Origin");
        return origin == null || listed(origin) || sameOrigin(request, origin);
    }

    /** Whether a WebSocket upgrade from this origin may proceed at all (see {@link #cookieTrusted}). */
    public boolean mayUpgrade(HttpServerRequest request) {
        return any || cookieTrusted(request);
    }

    private static boolean sameOrigin(HttpServerRequest request, String origin) {
        String host = request.authority() == null ? request.getHeader("Host") : request.authority().toString();
        if (host == null) {
            return false;
        }
        try {
            URI uri = URI.create(normalize(origin));
            if (uri.getHost() == null) {
                return false;
            }
            String originHost = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return host.equalsIgnoreCase(originHost);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Lower case, without a trailing slash: how origins are compared. */
    public static String normalize(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }
}
