package dev.herald.transport.poll;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RetryLaterException;
import dev.herald.api.RouteProblems;
import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.hub.Hub;
import dev.herald.ops.ConnectionLimits;
import dev.herald.ops.Drain;
import dev.herald.metrics.HeraldMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /v1/poll?topic=a&topic=b&cursor=…&timeout=25}: HTTP long polling (README, "Long polling").
 * Answers {@code {"events":[…],"cursor":"…"}} at once when there are events after the cursor, else
 * holds the request until one arrives or the timeout passes and answers with an empty list and a
 * cursor from which the next poll goes on without gap. Cursors are node-independent (the hub replays
 * from the broker), so no sticky sessions are needed.
 *
 * <p>A raw Vert.x route, like SSE: requests are held without a worker thread each, and 400/401/403/503
 * are decided before anything is written.
 */
@ApplicationScoped
public class PollResource {

    private final Hub hub;
    private final TopicAuthorizer authorizer;
    private final AllowedOrigins origins;
    private final Drain drain;
    private final HeraldMetrics metrics;
    private final ConnectionLimits limits;
    private final ObjectMapper mapper;
    private final int maxTopics;
    private final int defaultTimeoutSeconds;
    private final int maxEvents;
    private final int maxHeld;
    /** Polls with a token in progress on this node: held, or being authorized and opened. */
    private final AtomicInteger inProgress = new AtomicInteger();

    public PollResource(AllowedOrigins origins, Hub hub, TopicAuthorizer authorizer, Drain drain, HeraldMetrics metrics,
                        HeraldConfig config, ObjectMapper mapper, ConnectionLimits limits) {
        this.origins = origins;
        this.hub = hub;
        this.limits = limits;
        this.authorizer = authorizer;
        this.drain = drain;
        this.metrics = metrics;
        this.mapper = mapper;
        this.maxTopics = config.subscription().maxTopics();
        long defaultTimeout = config.poll().defaultTimeout().toSeconds();
        if (defaultTimeout < 0 || defaultTimeout > PollQuery.MAX_TIMEOUT_SECONDS) {
            throw new IllegalStateException("herald.poll.default-timeout must be between 0s and "
                    + PollQuery.MAX_TIMEOUT_SECONDS + "s, got " + config.poll().defaultTimeout());
        }
        this.defaultTimeoutSeconds = (int) defaultTimeout;
        this.maxEvents = requirePositive("herald.poll.max-events", config.poll().maxEvents());
        this.maxHeld = requirePositive("herald.poll.max-held", config.poll().maxHeld());
    }

    private static int requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalStateException(name + " must be at least 1, got " + value);
        }
        return value;
    }

    void install(@Observes Router router) {
        router.get("/v1/poll").handler(this::poll);
    }

    private void poll(RoutingContext ctx) {
        // Every answer, events or problem, is about this moment only: no cache may serve it again.
        ctx.response().putHeader("Cache-Control", "no-store");
        PollQuery query;
        try {
            query = PollQuery.parse(ctx.queryParams(), maxTopics, defaultTimeoutSeconds);
        } catch (InvalidInputException e) {
            refuse(ctx, e);
            return;
        }
        if (!drain.accepting()) {
            refuse(ctx, new RetryLaterException("shutting-down", "this node is shutting down; poll again",
                    seconds(drain.jitteredRetry().toMillis())));
            return;
        }
        String token = TokenExtractor.extract(ctx.request(), origins);
        Runnable release = place(token);
        if (release == null) {
            // Bounded memory and file descriptors per node; the jitter spreads the clients' retries.
            refuse(ctx, new RetryLaterException("too-many-polls", "this node holds too many polls; poll again",
                    1 + ThreadLocalRandom.current().nextInt(5)));
            return;
        }
        Context context = Vertx.currentContext();
        PollRequest request = new PollRequest(context, ctx, hub, drain, metrics, mapper, maxEvents, release);
        // Token verification may touch files or a JWKS endpoint: off the event loop, unordered so that
        // polls arriving on one event loop are verified in parallel.
        context.executeBlocking(() -> {
            Principal principal = authorizer.authenticateForStream(token);
            authorizer.requireSubscribe(principal, query.topics());
            return principal;
        }, false).onComplete(authorized -> {
            if (authorized.failed()) {
                request.fail(unwrap(authorized.cause()));
                return;
            }
            long holdMillis = holdMillis(query.timeoutSeconds(), authorized.result().expiresAt());
            hub.open(query.topics(), query.cursor(), false, request, maxEvents).subscribe().with(
                    subscription -> context.runOnContext(v -> request.start(subscription, holdMillis)),
                    failure -> context.runOnContext(v -> request.fail(failure)));
        });
    }

    /**
     * Takes this poll's place, or null when there is none: polls without a token have places of their
     * own (herald.subscriber.max-anonymous-connections, shared with anonymous streams and WebSockets),
     * so that anyone's polls can never fill {@code herald.poll.max-held} for users with a token.
     */
    private Runnable place(String token) {
        if (token == null && authorizer.enabled()) {
            return limits.tryOpenAnonymous(PollRequest.TRANSPORT);
        }
        if (inProgress.incrementAndGet() > maxHeld) {
            inProgress.decrementAndGet();
            metrics.refused(PollRequest.TRANSPORT, "too-many-polls");
            return null;
        }
        return inProgress::decrementAndGet;
    }

    /**
     * The hold time: the client's timeout, cut short at the token's expiry so that a held poll never
     * outlives the token that authorized it (the next poll then needs a fresh token).
     */
    private static long holdMillis(int timeoutSeconds, long tokenExpiresAt) {
        long hold = timeoutSeconds * 1000L;
        if (tokenExpiresAt > 0) {
            hold = Math.min(hold, Math.max(0, tokenExpiresAt * 1000 - System.currentTimeMillis()));
        }
        return hold;
    }

    private static long seconds(long millis) {
        return (millis + 999) / 1000;
    }

    private static Throwable unwrap(Throwable failure) {
        return ProblemMapping.unwrap(failure);
    }

    private void refuse(RoutingContext ctx, Throwable failure) {
        RouteProblems.send(ctx, mapper, ProblemMapping.map(failure));
    }
}
