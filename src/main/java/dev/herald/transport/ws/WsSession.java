package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import dev.herald.api.ProblemMapping;
import dev.herald.event.InvalidInputException;
import dev.herald.hub.SubscriberSink;
import dev.herald.ops.Drainable;
import dev.herald.transport.ConnectionScope;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * One WebSocket connection: Herald's JSON protocol (README, "WebSocket (`/v1/ws`)") read and dispatched,
 * its liveness and its end. Its user (authentication, token refresh, places) is {@link WsUser}, its
 * subscriptions are {@link WsSubscriptions}, its rate limits
 * {@link WsLimits}, its outbound writes {@link WsOutbound}; its place, drain registration and token
 * expiry a {@link ConnectionScope}, as every connection's. Everything runs on the connection's event
 * loop; the hub and the broker reach it through {@link #onContext}.
 */
final class WsSession implements Drainable {

    static final String TRANSPORT = "ws";

    private static final Logger LOG = Logger.getLogger(WsSession.class);

    private final WsServices services;
    private WsWorker worker;
    private final WebSocketConnection connection;
    private final Context context;
    private final Thread eventLoop;
    private final WsLimits rates;
    private final WsUser user;
    final WsSubscriptions subscriptions;
    /** Everything this connection writes goes through here. */
    final WsOutbound out;
    private boolean closing;
    private boolean cleanedUp;
    private int protocolErrors;
    private long lastSeen = System.nanoTime();
    private long pingTimer = -1;

    WsSession(WsServices services, WebSocketConnection connection, Context context) {
        this.services = services;
        this.connection = connection;
        this.context = context;
        this.eventLoop = Thread.currentThread();
        this.rates = new WsLimits(services.settings());
        this.user = new WsUser(this, services, context);
        this.subscriptions = new WsSubscriptions(this, services.admission(), services.presence(), services.maxTopics(),
                services.presence().member(connection.id()));
        this.out = new WsOutbound(this, connection, context, services.metrics().deliveries(TRANSPORT));
    }

    void open() {
        ConnectionScope scope = user.start(connection.userData().get(UpgradeCheck.TOKEN));
        if (scope != null && !closing) {
            scope.opened(this);
            pingTimer = context.owner().setPeriodic(services.settings().pingInterval().toMillis(),
                    id -> onContext(this::ping));
        }
    }

    // ---- inbound ----

    void onText(String text) {
        touch();
        if (closing) {
            return;
        }
        if (!user.holds(text)) {
            handle(text);
        }
    }

    void touch() {
        lastSeen = System.nanoTime();
    }

    /** A ping from the client (Vert.x answers it): liveness, within a rate. */
    void onPing() {
        touch();
        if (!closing && !rates.ping()) {
            close(ErrorCode.PROTOCOL_ERROR, "too many pings");
        }
    }

    /** Handles one message (also those that waited for a token verification, by {@link WsUser}). */
    void handle(String text) {
        WsRequest request;
        try {
            request = services.parser().parse(text);
        } catch (WsRequest.Refused refused) {
            protocolError(refused.code, refused.getMessage(), refused.ref);
            return;
        }
        if (!(request instanceof WsRequest.Auth)) {
            user.principal(); // the first message without a token makes the connection anonymous
        }
        switch (request) {
            case WsRequest.Auth auth -> user.authenticate(auth.token(), auth.ref(), true);
            case WsRequest.Subscribe subscribe -> {
                if (rates.subscribe(this, subscribe.ref())) {
                    subscriptions.subscribe(subscribe, user.principal());
                }
            }
            case WsRequest.Unsubscribe unsubscribe -> {
                if (rates.subscribe(this, unsubscribe.ref())) {
                    subscriptions.unsubscribe(unsubscribe, user.principal());
                }
            }
            case WsRequest.Publish publish -> publish(publish);
            case WsRequest.Ping ping -> send(WsFrames.pong(ping.ref()));
            case WsRequest.Job job -> worker().handle(job, user.principal());
        }
    }

    /** This connection's worker side (job leases), made at its first worker op. */
    private WsWorker worker() {
        if (worker == null) {
            worker = new WsWorker(this, services.jobs(), context);
        }
        return worker;
    }

    /** An invalid message: an {@code invalid} error; too many of them close the connection. */
    void protocolError(String message, String ref) {
        protocolError(ErrorCode.INVALID_INPUT, message, ref);
    }

    private void protocolError(ErrorCode code, String message, String ref) {
        send(WsFrames.error(code, message, ref));
        if (++protocolErrors >= services.settings().maxProtocolErrors()) {
            close(ErrorCode.PROTOCOL_ERROR, "too many invalid messages");
        }
    }

    /** Answers a failed op with the error frame of its {@link ErrorCode}. */
    void sendError(Throwable failure, String ref) {
        Throwable t = ProblemMapping.unwrap(failure);
        ErrorCode code = ErrorCode.of(t);
        if (code == ErrorCode.INTERNAL) {
            LOG.error("unexpected WebSocket failure", t);
            send(WsFrames.error(code, "an unexpected error occurred", ref));
        } else {
            send(WsFrames.error(code, t.getMessage(), ref));
        }
    }

    /** A subscription was authorized (see {@link WsUser#subscribing}). */
    void subscribing() {
        user.subscribing();
    }

    /** The hub dropped a subscription: its queue overflowed, or its history was lost. */
    void dropped(SubscriberSink.CloseReason reason) {
        if (reason == SubscriberSink.CloseReason.SLOW_CONSUMER) {
            services.metrics().slowConsumerDropped(TRANSPORT);
            close(ErrorCode.SLOW_CONSUMER, "slow consumer: reconnect and resume with your cursor");
        } else {
            close(ErrorCode.SLOW_CONSUMER, "events were lost upstream: reconnect with your cursor to resynchronize");
        }
    }

    // ---- publish ----

    private void publish(WsRequest.Publish request) {
        if (!rates.publish(this, request.ref())) {
            return;
        }
        try {
            services.publisher().publish(user.principal(), request.topic(), request.event(), request.idempotencyKey(),
                            request.traceparent())
                    .subscribe().with(
                            result -> onContext(() -> send(WsFrames.ack(result.id().toString(), result.topic().name(),
                                    result.duplicate(), request.ref()))),
                            failure -> onContext(() -> sendError(failure, request.ref())));
        } catch (InvalidInputException e) {
            protocolError(e.getMessage(), request.ref());
        } catch (RuntimeException e) {
            sendError(e, request.ref());
        }
    }

    // ---- outbound ----

    void send(String text) {
        out.send(text);
    }

    /** The subscriptions held back by backpressure drain again (event loop). */
    void drainAll() {
        subscriptions.drainAll();
    }

    /** Runs on the connection's event loop (at once when already there). */
    void onContext(Runnable action) {
        if (Thread.currentThread() == eventLoop) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    boolean closing() {
        return closing;
    }

    // ---- liveness, shutdown, close ----

    private void ping() {
        if (closing) {
            return;
        }
        if (System.nanoTime() - lastSeen > services.settings().idleTimeout().toNanos()) {
            close(ErrorCode.IDLE, "idle timeout: no message or pong received");
            return;
        }
        connection.sendPing(Buffer.buffer("hb")).subscribe().with(ok -> { }, failure -> { });
    }

    @Override
    public void goAway(Duration retry) {
        onContext(() -> close(ErrorCode.SHUTTING_DOWN, "server shutting down; reconnect; retry=" + retry.toMillis()));
    }

    /** Closes the connection with the close code of {@code code}. */
    void close(ErrorCode code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        out.writeGathered();
        connection.close(new CloseReason(code.closeCode(), reason)).subscribe().with(ok -> { }, failure -> { });
        cleanUp();
    }

    /** The connection is closed (by either side, or it broke). */
    void closed() {
        closing = true;
        cleanUp();
    }

    private void cleanUp() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        if (pingTimer >= 0) {
            context.owner().cancelTimer(pingTimer);
        }
        subscriptions.releaseAll();
        if (worker != null) {
            worker.close();
        }
        user.release();
        UpgradeRequests.done(connection.userData().get(UpgradeCheck.REQUEST));
    }
}
