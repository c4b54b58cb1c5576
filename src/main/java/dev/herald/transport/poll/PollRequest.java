package dev.herald.transport.poll;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ProblemMapping;
import dev.herald.api.ErrorCode;
import dev.herald.api.RetryLaterException;
import dev.herald.api.RouteProblems;
import dev.herald.event.Event;
import dev.herald.hub.DeliveryWriter;
import dev.herald.hub.Hub;
import dev.herald.hub.Notice;
import dev.herald.hub.SubscriberSink;
import dev.herald.hub.Subscription;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.ops.Drainable;
import dev.herald.transport.Connection;
import dev.herald.transport.ConnectionScope;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * One long poll: a hub subscription held open until it has something to answer (or the timeout, the
 * token's expiry or a shutdown comes first), then answered once and closed.
 *
 * <p>The subscription does the hard part: {@link Hub#open} replays history after the cursor and goes
 * live without gap or duplicate, and queues a {@code herald.reset} where the cursor cannot be honoured.
 * This class only collects up to {@code maxEvents} deliveries and answers with the cursor after the last
 * one it collected. Deliveries still queued when it answers are dropped with the subscription: the
 * answer's cursor does not cover them, so the next poll replays them from history.
 *
 * <p>Threads: everything that touches the response or the collected page runs on the request's Vert.x
 * context; the hub and the drain reach it through {@link #wakeUp}, {@link #close} and {@link #goAway}.
 */
final class PollRequest implements Connection, DeliveryWriter, Drainable {

    static final String TRANSPORT = "poll";

    private final Context context;
    private final RoutingContext ctx;
    private final Hub hub;
    /** Place, drain registration and connection gauge: released once, in {@link #finish}. */
    private final ConnectionScope scope;
    private final HeraldMetrics.DeliveryMeter meter;
    private final ObjectMapper mapper;
    private final int maxEvents;
    private final long holdMillis;
    private final StringBuilder page = new StringBuilder(256).append("{\"events\":[");
    private int collected;
    private Subscription subscription;
    private long timer = -1;
    private boolean held;
    private boolean done;

    /**
     * @param holdMillis how long the poll is held without events: the client's timeout, cut short at the
     *                   token's expiry
     */
    PollRequest(ConnectionScope scope, Context context, RoutingContext ctx, Hub hub, ObjectMapper mapper, int maxEvents,
                long holdMillis) {
        this.scope = scope;
        this.context = context;
        this.ctx = ctx;
        this.hub = hub;
        this.meter = scope.metrics().deliveries(TRANSPORT);
        this.mapper = mapper;
        this.maxEvents = maxEvents;
        this.holdMillis = holdMillis;
        ctx.response().closeHandler(v -> finish());
    }

    /**
     * The subscription is open: answers at once when deliveries are queued (replay, reset) or when
     * the hold time is 0, else holds the request for up to that long. On the request's context.
     */
    @Override
    public void start(Subscription subscription) {
        this.subscription = subscription;
        if (done) {
            hub.close(subscription); // the client went away while the subscription was being opened
            return;
        }
        held = true;
        scope.opened(this);
        collect();
        if (done) {
            return;
        }
        if (collected > 0 || holdMillis <= 0 || subscription.isClosed()) {
            answer();
            return;
        }
        timer = context.owner().setTimer(holdMillis, id -> {
            timer = -1;
            answer();
        });
    }

    @Override
    public void wakeUp() {
        context.runOnContext(v -> {
            if (held && !done) {
                collect();
                if (collected > 0) {
                    answer();
                }
            }
        });
    }

    private void collect() {
        subscription.drain(this);
    }

    @Override
    public boolean canWrite() {
        return !done && collected < maxEvents;
    }

    @Override
    public void write(Event event, String cursor, boolean singleTopic, boolean replayed) {
        // The envelope is built once per event and shared by every transport and every poll.
        appendItem(event.envelope());
        meter.deliveredOne(event.ts(), replayed);
    }

    @Override
    public void write(Notice notice, String cursor) {
        // Shaped like an envelope so a client can handle one list, but with no id and no topic: it is
        // about the subscription, not an event of a topic. Notice data is server-built JSON.
        appendItem("{\"type\":\"" + notice.type() + "\",\"data\":" + notice.data() + ",\"ts\":"
                + System.currentTimeMillis() + "}");
    }

    private void appendItem(String json) {
        if (collected++ > 0) {
            page.append(',');
        }
        page.append(json);
    }

    @Override
    public void close(CloseReason reason) {
        context.runOnContext(v -> {
            if (reason == CloseReason.SLOW_CONSUMER) {
                scope.metrics().slowConsumerDropped(TRANSPORT);
            }
            // Dropped by the hub: answer with what was collected; the cursor covers exactly that.
            if (held && !done) {
                answer();
            }
        });
    }

    @Override
    public void goAway(Duration retry) {
        // Shutdown must not wait for held polls: answer now; the client's next poll goes to another node.
        context.runOnContext(v -> {
            if (held && !done) {
                answer();
            }
        });
    }

    private void answer() {
        // A reset comes first in the queue and its position lies past the cursor: a cursor may be handed
        // out only once the reset itself is in the answer (initialCursor is null while a reset is due).
        String cursor = collected > 0 || subscription.initialCursor() != null ? subscription.currentCursor() : null;
        String body = page.append("],\"cursor\":\"").append(cursor).append("\"}").toString();
        finish();
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        if (cursor == null) {
            // Only when the hub dropped the subscription before its reset could be collected.
            RouteProblems.send(ctx, mapper, ProblemMapping.map(new RetryLaterException(ErrorCode.POLL_AGAIN,
                    "the subscription was interrupted; poll again with the same cursor", 1)));
            return;
        }
        ctx.response().setStatusCode(200)
                .putHeader("Content-Type", "application/json")
                .end(body);
    }

    /** Releases everything the poll holds; idempotent. Does not write the response. */
    private void finish() {
        if (done) {
            return;
        }
        done = true;
        if (timer >= 0) {
            context.owner().cancelTimer(timer);
            timer = -1;
        }
        if (subscription != null) {
            hub.close(subscription);
        }
        scope.close();
    }
}
