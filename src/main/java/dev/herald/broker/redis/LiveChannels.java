package dev.herald.broker.redis;

import dev.herald.broker.BrokerListener;
import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.HeldEvents;
import dev.herald.broker.HistoryPage;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The node's one pub/sub connection to Redis, subscribed to the channels of the topics that have
 * local subscribers. All state is confined to one Vert.x context.
 *
 * <p>Redis does not restore subscriptions after a connection loss, so this class does: it reconnects
 * with backoff, subscribes again to every active channel, then reads each active topic's stream from
 * the last id it delivered and hands the missed events to the listener before the live events that
 * arrived meanwhile (held until then), deduplicated by id. If the stream no longer reaches back that
 * far, the listener is told that history was lost for the topic.
 *
 * <p>A half-open connection counts as lost when a {@link PubSubProbe} goes unanswered. The events held
 * while gaps are filled are bounded
 * ({@code max-held-bytes}, all topics together): a topic whose event would go past the bound stops
 * waiting for its gap and its history counts as lost, so that its subscribers resynchronize from the
 * stream with their own cursors instead of the node holding without limit.
 */
final class LiveChannels {

    private static final Logger LOG = Logger.getLogger(LiveChannels.class);
    private static final int FILL_PAGE = 500;
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 2000;

    /** The topics' streams, read to fill gaps (the broker's own reads, with their deadlines). */
    interface Streams {
        Uni<HistoryPage> read(Topic topic, EventId after, int limit);
        Uni<EventId> head(Topic topic);
    }

    private final Vertx vertx;
    private final Context context;
    private final Redis redis;
    private final RedisKeys keys;
    private final Streams streams;
    private final BrokerMetrics metrics;
    private final Duration connectTimeout;
    private final HeldEvents held;
    private final PubSubProbe probe;
    private final Command subscribeCommand;
    private final Command unsubscribeCommand;
    private final Map<String, TopicState> active = new HashMap<>();
    private volatile BrokerListener listener;
    private RedisConnection connection;
    private Future<RedisConnection> connecting;
    private boolean lostOnce;
    private long backoffMs = MIN_BACKOFF_MS;
    private volatile boolean up;
    private volatile boolean closed;

    LiveChannels(Vertx vertx, Redis redis, RedisKeys keys, Streams streams, RedisBrokerSettings settings,
                 BrokerMetrics metrics) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.redis = redis;
        this.keys = keys;
        this.streams = streams;
        this.metrics = metrics;
        this.connectTimeout = settings.commandTimeout();
        this.held = new HeldEvents(settings.maxHeldBytes(), "herald.redis.max-held-bytes", () -> listener);
        this.probe = new PubSubProbe(vertx, context, settings.pingTimeout(), keys.probeChannel());
        this.subscribeCommand = settings.shardedPubSub() ? Command.SSUBSCRIBE : Command.SUBSCRIBE;
        this.unsubscribeCommand = settings.shardedPubSub() ? Command.SUNSUBSCRIBE : Command.UNSUBSCRIBE;
        context.runOnContext(v -> {
            ensureConnected();
            vertx.setPeriodic(Math.max(1, settings.pingInterval().toMillis()), id -> {
                if (closed) {
                    vertx.cancelTimer(id);
                } else {
                    probe.send(connection, this::unanswered);
                }
            });
        });
    }

    void setListener(BrokerListener listener) {
        this.listener = listener;
    }

    /** Whether the pub/sub connection is up (readiness). */
    boolean connected() {
        return up;
    }

    Uni<Void> subscribe(Topic topic) {
        return Uni.createFrom().<Void>emitter(emitter -> context.runOnContext(v -> {
            String channel = keys.channel(topic);
            TopicState state = active.computeIfAbsent(channel, c -> new TopicState(topic));
            ensureConnected()
                    .compose(conn -> active.get(channel) == state
                            ? conn.send(Request.cmd(subscribeCommand).arg(channel))
                            : Future.<Response>succeededFuture()) // unsubscribed while connecting
                    .compose(ok -> Future.fromCompletionStage(streams.head(topic).subscribeAsCompletionStage()))
                    .onComplete(ar -> context.runOnContext(x -> {
                        if (ar.succeeded()) {
                            // The gap fill after a reconnect starts here if no event arrived yet.
                            state.startAt(ar.result());
                            emitter.complete(null);
                        } else {
                            LOG.debugf("Redis subscribe to %s failed: %s", channel, ar.cause().getMessage());
                            emitter.fail(new BrokerUnavailableException("the broker is unavailable; retry later",
                                    ar.cause()));
                        }
                    }));
        })).ifNoItem().after(Duration.ofSeconds(5))
                .failWith(() -> new BrokerUnavailableException("the broker is unavailable; retry later"));
    }

    Uni<Void> unsubscribe(Topic topic) {
        return Uni.createFrom().emitter(emitter -> context.runOnContext(v -> {
            String channel = keys.channel(topic);
            TopicState state = active.remove(channel);
            if (state != null) {
                held.drop(state);
            }
            if (connection != null) {
                connection.send(Request.cmd(unsubscribeCommand).arg(channel));
            }
            emitter.complete(null);
        }));
    }

    void close() {
        closed = true;
        up = false;
        context.runOnContext(v -> {
            if (connection != null) {
                connection.close();
                connection = null;
            }
        });
    }

    private Future<RedisConnection> ensureConnected() {
        if (connection != null) {
            return Future.succeededFuture(connection);
        }
        if (closed) {
            return Future.failedFuture(new BrokerUnavailableException("the broker is closed"));
        }
        if (connecting != null) {
            return connecting;
        }
        Promise<RedisConnection> promise = Promise.promise();
        Future<RedisConnection> attempt = promise.future();
        connecting = attempt;
        // A handshake that never ends (a half-open path to Redis) must not hold the reconnect loop.
        long deadline = vertx.setTimer(Math.max(1, connectTimeout.toMillis()), id -> context.runOnContext(v -> {
            if (connecting == attempt) {
                connecting = null;
                LOG.debugf("Redis pub/sub connection not established within %s", connectTimeout);
                scheduleReconnect();
                promise.fail(new BrokerUnavailableException("no pub/sub connection within " + connectTimeout));
            }
        }));
        redis.connect().onComplete(ar -> context.runOnContext(v -> {
            vertx.cancelTimer(deadline);
            if (connecting != attempt) {
                if (ar.succeeded()) {
                    ar.result().close(); // too late: the deadline gave up on it and a reconnect is scheduled
                }
                return;
            }
            connecting = null;
            if (ar.failed()) {
                LOG.debugf("Redis pub/sub connection failed: %s", ar.cause().getMessage());
                scheduleReconnect();
                promise.fail(ar.cause());
                return;
            }
            RedisConnection conn = ar.result();
            conn.handler(message -> context.runOnContext(x -> onMessage(message)));
            conn.exceptionHandler(e -> context.runOnContext(x -> lost(conn, e)));
            conn.endHandler(e -> context.runOnContext(x -> lost(conn, null)));
            connection = conn;
            backoffMs = MIN_BACKOFF_MS;
            if (!lostOnce || active.isEmpty()) {
                up = true;
                promise.complete(conn);
                return;
            }
            resubscribeAndFill(conn, promise);
        }));
        return connecting;
    }

    /** After a reconnect: subscribe to every active channel again, then fill each topic's gap. */
    private void resubscribeAndFill(RedisConnection conn, Promise<RedisConnection> promise) {
        // One command per channel: SSUBSCRIBE of channels in different cluster slots is a CROSSSLOT error.
        List<Future<Response>> subscribed = new ArrayList<>();
        for (String channel : active.keySet()) {
            subscribed.add(conn.send(Request.cmd(subscribeCommand).arg(channel)));
        }
        Future.all(subscribed).onComplete(ar -> context.runOnContext(v -> {
            if (ar.failed()) {
                lost(conn, ar.cause());
                promise.fail(ar.cause());
                return;
            }
            metrics.brokerReconnected(RedisBroker.NAME);
            LOG.infof("Redis pub/sub reconnected; filling gaps of %d topic(s)", active.size());
            up = true;
            promise.complete(conn);
            for (TopicState state : new ArrayList<>(active.values())) {
                if (state.holding()) {
                    fill(conn, state, state.fillFrom(), 0);
                }
            }
        }));
    }

    /**
     * Fills one topic's gap for the connection {@code conn}. A fill that completes after {@code conn} was
     * lost does nothing: the next connection fills again from {@code lastDelivered}, and two fills must
     * never interleave (an older page after newer live events would be dropped by the id filter).
     */
    private void fill(RedisConnection conn, TopicState state, EventId from, int filled) {
        streams.read(state.topic, from, FILL_PAGE).subscribe().with(
                page -> context.runOnContext(v -> {
                    if (connection != conn || active.get(keys.channel(state.topic)) != state || !state.holding()) {
                        // connection lost again (refilled later), unsubscribed meanwhile, or the topic
                        // gave up its gap (too much held: its subscribers resynchronize)
                        return;
                    }
                    if (page.truncated()) {
                        LOG.warnf("events of %s were trimmed during the outage; its subscribers resynchronize", state.topic);
                        BrokerListener l = listener;
                        if (l != null) {
                            l.onHistoryLost(state.topic);
                        }
                        state.skipTo(page.head());
                    }
                    for (Event e : page.events()) {
                        held.deliver(state, e);
                    }
                    int total = filled + page.events().size();
                    if (!page.truncated() && page.events().size() == FILL_PAGE) {
                        fill(conn, state, page.events().get(page.events().size() - 1).id(), total);
                        return;
                    }
                    held.resume(state);
                    if (total > 0) {
                        metrics.gapFilled(RedisBroker.NAME, total);
                    }
                }),
                // The topic's live events stay held until its gap is filled: never leave it stuck. Start
                // over from a fresh connection, which fills again.
                failure -> context.runOnContext(v -> {
                    LOG.debugf("gap fill of %s failed (%s); reconnecting to retry", state.topic, failure.getMessage());
                    if (connection == conn) {
                        lost(conn, failure);
                    }
                }));
    }

    private void lost(RedisConnection conn, Throwable cause) {
        if (connection != conn) {
            return;
        }
        connection = null;
        up = false;
        lostOnce = true;
        probe.cancel();
        conn.close();
        LOG.warnf("Redis pub/sub connection lost%s; reconnecting", cause == null ? "" : " (" + cause.getMessage() + ")");
        for (TopicState state : active.values()) {
            held.hold(state);
        }
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        vertx.setTimer(delay, id -> context.runOnContext(v -> ensureConnected()));
    }

    private void onMessage(Response message) {
        // Pushes are arrays (RESP2 multi-bulk, RESP3 push); anything else (an error, a status) is not an event.
        if (message == null || (message.type() != ResponseType.MULTI && message.type() != ResponseType.PUSH)
                || message.size() < 3) {
            return;
        }
        String kind = message.get(0).toString();
        if (!kind.equals("message") && !kind.equals("smessage")) {
            probe.answers(kind, message.get(1).toString());
            return;
        }
        TopicState state = active.get(message.get(1).toString());
        if (state == null) {
            return;
        }
        String payload = message.get(2).toString();
        LivePayload.Presence notice = LivePayload.presence(payload);
        if (notice != null) {
            BrokerListener l = listener;
            if (l != null && !notice.type().isEmpty()) {
                l.onPresence(state.topic, notice.type(), notice.data());
            }
            return;
        }
        Event event = LivePayload.event(state.topic, payload);
        if (event == null) {
            return;
        }
        if (state.holding()) {
            held.hold(state, event);
        } else {
            held.deliver(state, event);
        }
    }

    /** A probe went unanswered: the connection is lost, unless it was replaced meanwhile. */
    private void unanswered(RedisConnection conn) {
        if (connection == conn) {
            lost(conn, new BrokerUnavailableException("no answer to a probe within " + probe.timeout()));
        }
    }
}
