package dev.herald.web;

import dev.herald.config.HeraldConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code herald.cors.origins}: the origins of pages allowed to use Herald across origins, read once
 * for the two places that check them (CORS headers, the WebSocket upgrade's {@code Origin}).
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

    /** Lower case, without a trailing slash: how origins are compared. */
    public static String normalize(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }
}
