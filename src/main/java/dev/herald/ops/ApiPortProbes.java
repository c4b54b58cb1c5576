package dev.herald.ops;

import io.smallrye.health.SmallRyeHealth;
import io.smallrye.health.SmallRyeHealthReporter;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.function.Supplier;

/**
 * The probes' verdicts on the API port as well: {@code GET /q/health/live}, {@code /ready} and
 * {@code /started} answer 200 {@code {"status":"UP"}} or 503 {@code {"status":"DOWN"}}, the same
 * verdict as on the management port, without the checks' names and data. A load balancer or a
 * script that can reach only the port it routes to can then tell a ready node from one that is
 * starting, draining or without its broker. The full reports and {@code /q/metrics} stay on the
 * management port alone.
 */
@ApplicationScoped
public class ApiPortProbes {

    private static final String UP = "{\"status\":\"UP\"}";
    private static final String DOWN = "{\"status\":\"DOWN\"}";

    private final SmallRyeHealthReporter reporter;

    public ApiPortProbes(SmallRyeHealthReporter reporter) {
        this.reporter = reporter;
    }

    void install(@Observes Router router) {
        router.get("/q/health/live").handler(ctx -> answer(ctx, reporter::getLivenessAsync));
        router.get("/q/health/ready").handler(ctx -> answer(ctx, reporter::getReadinessAsync));
        router.get("/q/health/started").handler(ctx -> answer(ctx, reporter::getStartupAsync));
    }

    private static void answer(RoutingContext ctx, Supplier<Uni<SmallRyeHealth>> report) {
        report.get().subscribe().with(
                health -> send(ctx, !health.isDown()),
                failure -> send(ctx, false));
    }

    private static void send(RoutingContext ctx, boolean up) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(up ? 200 : 503)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(up ? UP : DOWN);
    }
}
