package dev.herald.jobs.http;

import dev.herald.auth.TopicAuthorizer;
import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.QueueName;
import dev.herald.web.JsonRoutes;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/**
 * {@code POST /v1/queues/{queue}/leases?max=N&wait=S&visibility=S} (README, "Jobs"): a worker takes up to
 * {@code max} jobs, each leased for {@code visibility} seconds; with {@code wait} the request is held (long
 * polling, {@link LeaseWaiters}) until a job arrives on any node or the time passes. Needs {@code work} on
 * the queue. Any body is ignored.
 */
@ApplicationScoped
public class LeaseRoutes {

    /** The longest a lease request waits, as for long polls. */
    static final int MAX_WAIT_SECONDS = 60;

    private final TopicAuthorizer authorizer;
    private final JsonRoutes routes;
    private final LeaseWaiters waiters;
    private final int maxBatch;
    private final Duration visibility;

    public LeaseRoutes(TopicAuthorizer authorizer, JsonRoutes routes, LeaseWaiters waiters, HeraldConfig config) {
        this.authorizer = authorizer;
        this.routes = routes;
        this.waiters = waiters;
        this.maxBatch = config.jobs().maxLeaseBatch();
        this.visibility = config.jobs().visibility();
    }

    void install(@Observes Router router) {
        router.post("/v1/queues/:queue/leases").order(JobRoutes.ORDER).handler(this::lease);
    }

    private void lease(RoutingContext ctx) {
        ctx.response().putHeader("Cache-Control", "no-store");
        QueueName queue;
        LeaseRequest request;
        int wait;
        try {
            queue = QueueName.of(ctx.pathParam("queue"));
            int max = intParam(ctx, "max", 1, 1, maxBatch);
            wait = intParam(ctx, "wait", 0, 0, MAX_WAIT_SECONDS);
            int seconds = intParam(ctx, "visibility", (int) Math.max(1, visibility.toSeconds()), 1,
                    (int) JobPolicy.MAX_VISIBILITY.toSeconds());
            Duration leaseFor = ctx.queryParams().contains("visibility") ? Duration.ofSeconds(seconds) : visibility;
            request = new LeaseRequest(queue, max, leaseFor);
        } catch (InvalidInputException e) {
            routes.refuse(ctx, e);
            return;
        }
        routes.authorize(ctx, principal -> {
            authorizer.requireQueue(principal, principal.queues().mayWork(queue.name()),
                    "not allowed to work on queue '" + queue + "'");
            Context context = Vertx.currentContext();
            Runnable cancel = waiters.lease(context, request, Duration.ofSeconds(wait),
                    jobs -> routes.json(ctx, 200, JobJson.leased(jobs)), failure -> routes.refuse(ctx, failure));
            ctx.response().closeHandler(v -> cancel.run());
        });
    }

    /** An integer query parameter within bounds, or its default when absent; 400 otherwise. */
    static int intParam(RoutingContext ctx, String name, int byDefault, int min, int max) {
        String value = ctx.queryParams().get(name);
        if (value == null) {
            return byDefault;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new InvalidInputException("'" + name + "' must be an integer from " + min + " to " + max);
    }
}
