package dev.herald.auth;

import dev.herald.auth.AllowedOrigins;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;

/**
 * Finds the bearer token of a request, in this order: {@code Authorization: Bearer}, the cookie
 * {@code herald_token}, the query parameter {@code access_token} (EventSource cannot set headers).
 */
public final class TokenExtractor {

    public static final String COOKIE = "herald_token";
    public static final String QUERY_PARAMETER = "access_token";

    private TokenExtractor() {
    }

    /**
     * The raw token, or null when the request carries none. The cookie counts only where
     * {@code origins} trusts the request's origin with it ({@link AllowedOrigins#cookieTrusted}).
     */
    public static String extract(HttpServerRequest request, AllowedOrigins origins) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = header.substring(7).trim();
            if (!token.isEmpty()) {
                return token;
            }
        }
        Cookie cookie = request.getCookie(COOKIE);
        if (cookie != null && !cookie.getValue().isEmpty() && origins.cookieTrusted(request)) {
            return cookie.getValue();
        }
        String query = request.getParam(QUERY_PARAMETER);
        if (query != null && !query.isEmpty()) {
            return query;
        }
        return null;
    }
}
