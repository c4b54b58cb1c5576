package dev.herald.web;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The browser client and the demo page ({@code /herald.js}, {@code /}, {@code /index.html},
 * {@code /demo.js}) and the admin page's script and style ({@code /admin.js}, {@code /admin.css}) are static resources in {@code META-INF/resources}, served by Quarkus. Quarkus
 * marks static resources {@code public, immutable, max-age=86400}; for files at unversioned URLs that
 * would keep an old herald.js in browsers for a day after an upgrade. They are sent with
 * {@code no-cache} instead: browsers keep them but revalidate each use ({@code Last-Modified}, 304).
 */
@ApplicationScoped
public class BrowserAssets {

    private static final java.util.Set<String> PAGES = java.util.Set.of("/", "/index.html", "/herald.js", "/demo.js",
            "/admin.js", "/admin.css");

    void install(@Observes Router router) {
        // A plain route and a set lookup: a regex route was matched against every request's path.
        router.route().order(-1000).handler(ctx -> {
            if (PAGES.contains(ctx.request().path())) {
                ctx.addHeadersEndHandler(v -> ctx.response().headers().set("Cache-Control", "no-cache"));
            }
            ctx.next();
        });
    }
}
