package dev.herald.transport.poll;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ErrorCode;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RetryLaterException;
import dev.herald.api.RouteProblems;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.TokenExtractor;
import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.hub.Hub;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.ops.ConnectionLimits;
import dev.herald.transport.Admission;
import dev.herald.transport.ConnectionScope;
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
    private final Admission admission;
    private final Admission.Places places = this::place;
    private final AllowedOrigins origins;
    private final HeraldMetrics metrics;
    private final ConnectionLimits limits;
    private final ObjectMapper mapper;
    private final int maxTopics;
    private final int defaultTimeoutSeconds;
    private final int maxEvents;
    private final int maxHeld;
    /** Polls with a token in progress on this node: held, or being authorized and opened. */
    private final AtomicInteger inProgress = new AtomicInteger();

    public PollResource(Admission admission, AllowedOrigins origins, Hub hub, HeraldMetrics metrics,
                        HeraldConfig config, ObjectMapper mapper, ConnectionLimits limits) {
        this.admission = admission;
        this.origins = origins;
        this.hub = hub;
        this.limits = limits;
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
        String token = TokenExtractor.extract(ctx.request(), origins);
        admission.admit(PollRequest.TRANSPORT, query.topics(), token, query.cursor(), Hub.Options.page(maxEvents),
                places, Admission.http(ctx.response(), (scope, principal) -> {
                    // A held poll never outlives the token that authorized it: the next poll needs a fresh token.
                    long hold = Math.min(query.timeoutSeconds() * 1000L, ConnectionScope.millisUntil(principal.expiresAt()));
                    return new PollRequest(scope, Vertx.currentContext(), ctx, hub, mapper, maxEvents, hold);
                }, failure -> refuse(ctx, failure)));
    }

    /**
     * Where polls take their places: polls without a token share the anonymous places with streams and
     * WebSockets (herald.subscriber.max-anonymous-connections), so that anyone's polls can never fill
     * {@code herald.poll.max-held} for users with a token; polls with a token count under max-held.
     */
    private Runnable place(boolean anonymous) {
        if (anonymous) {
            Runnable release = limits.tryOpenAnonymous(PollRequest.TRANSPORT);
            if (release == null) {
                throw tooManyPolls();
            }
            return release;
        }
        if (inProgress.incrementAndGet() > maxHeld) {
            inProgress.decrementAndGet();
            metrics.refused(PollRequest.TRANSPORT, "too-many-polls");
            throw tooManyPolls();
        }
        return inProgress::decrementAndGet;
    }

    /** Bounded memory and file descriptors per node; the jitter spreads the clients' retries. */
    private static RetryLaterException tooManyPolls() {
        return new RetryLaterException(ErrorCode.TOO_MANY_POLLS, "this node holds too many polls; poll again",
                1 + ThreadLocalRandom.current().nextInt(5));
    }

    private void refuse(RoutingContext ctx, Throwable failure) {
        RouteProblems.send(ctx, mapper, ProblemMapping.map(failure));
    }
}
