package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RetryLaterException;
import dev.herald.auth.AuthenticationException;
import dev.herald.auth.Principal;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.hub.SubscriberSink;
import dev.herald.ops.Drainable;
import dev.herald.transport.ConnectionScope;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * One WebSocket connection: Herald's JSON protocol (README, "WebSocket (`/v1/ws`)") read and dispatched,
 * the connection's user (authentication at the upgrade or by an {@code auth} message, token refresh),
 * its liveness and its end. Its subscriptions are {@link WsSubscriptions}, its rate limits
 * {@link WsLimits}, its outbound writes {@link WsOutbound}; its place, drain registration and token
 * expiry a {@link ConnectionScope}, as every connection's. Everything runs on the connection's event
 * loop; the hub and the broker reach it through {@link #onContext}.
 */
final class WsSession implements Drainable {

    static final String TRANSPORT = "ws";

    private static final Logger LOG = Logger.getLogger(WsSession.class);
    /** Messages that arrive while a token is being verified wait, up to this many characters in all. */
    private static final int MAX_WAITING_CHARS = 256 * 1024;

    private final WsServices services;
    private final WebSocketConnection connection;
    private final Context context;
    private final Thread eventLoop;
    private final ArrayDeque<String> waiting = new ArrayDeque<>();
    private final WsLimits rates;
    final WsSubscriptions subscriptions;
    /** Everything this connection writes goes through here. */
    final WsOutbound out;
    private ConnectionScope scope;
    private int waitingChars;
    private Principal principal;
    private String countedUser;
    /** The place is one of those for connections without a token (until a token is verified). */
    private boolean anonymousPlace;
    /** An anonymous connection that subscribed to a topic open to anonymous clients: no auth timeout. */
    private boolean anonymousSubscriber;
    private boolean authenticating;
    private boolean closing;
    private boolean cleanedUp;
    private int protocolErrors;
    private long lastSeen = System.nanoTime();
    private long authTimer = -1;
    private long pingTimer = -1;

    WsSession(WsServices services, WebSocketConnection connection, Context context) {
        this.services = services;
        this.connection = connection;
        this.context = context;
        this.eventLoop = Thread.currentThread();
        this.rates = new WsLimits(services.settings());
        this.subscriptions = new WsSubscriptions(this, services.admission(), services.presence(), services.maxTopics(),
                services.presence().member(connection.id()));
        this.out = new WsOutbound(this, connection, context, services.metrics().deliveries(TRANSPORT));
    }

    void open() {
        String token = connection.userData().get(UpgradeCheck.TOKEN);
        // Anyone can open a connection without a token: it waits among the anonymous places, so that
        // such connections can never take the places of users with a token.
        anonymousPlace = services.admission().anonymous(token);
        try {
            scope = new ConnectionScope(TRANSPORT, context, services.drain(), services.metrics(),
                    services.admission().nodePlaces(TRANSPORT).take(anonymousPlace));
        } catch (RetryLaterException full) {
            close(ErrorCode.TOO_MANY_CONNECTIONS, full.getMessage());
            return;
        }
        scope.opened(this);
        pingTimer = context.owner().setPeriodic(services.settings().pingInterval().toMillis(), id -> onContext(this::ping));
        // No verified token within the timeout: no token and no auth message, a verification that hangs
        // (a JWKS endpoint that does not answer), or an anonymous connection that subscribed to nothing.
        // Pings do not count: an anonymous connection that only pings would otherwise hold its place
        // forever, the idle timeout being reset by every ping.
        authTimer = context.owner().setTimer(services.settings().authTimeout().toMillis(), id -> onContext(() -> {
            if (principal == null || (principal.isAnonymous() && !anonymousSubscriber)) {
                close(ErrorCode.UNAUTHORIZED, "authentication timeout: send {\"op\":\"auth\",\"token\":...} first");
            }
        }));
        if (token != null) {
            authenticate(token, null, false);
        }
    }

    // ---- inbound ----

    void onText(String text) {
        touch();
        if (closing) {
            return;
        }
        if (authenticating) {
            waitingChars += text.length();
            if (waitingChars > MAX_WAITING_CHARS) {
                close(ErrorCode.PROTOCOL_ERROR, "too many messages before authentication completed");
            } else {
                waiting.add(text);
            }
            return;
        }
        handle(text);
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

    private void handle(String text) {
        WsRequest request;
        try {
            request = services.parser().parse(text);
        } catch (WsRequest.Refused refused) {
            protocolError(refused.code, refused.getMessage(), refused.ref);
            return;
        }
        if (principal == null && !(request instanceof WsRequest.Auth)) {
            // No token at the upgrade and no auth first: an anonymous connection from now on, still under
            // the auth timeout (unless authentication is off: then everyone is authenticated).
            principal = services.admission().anonymousPrincipal();
            if (principal.authenticated()) {
                cancelTimer(authTimer);
            }
        }
        switch (request) {
            case WsRequest.Auth auth -> authenticate(auth.token(), auth.ref(), true);
            case WsRequest.Subscribe subscribe -> {
                if (rates.subscribe(this, subscribe.ref())) {
                    subscriptions.subscribe(subscribe, principal);
                }
            }
            case WsRequest.Unsubscribe unsubscribe -> {
                if (rates.subscribe(this, unsubscribe.ref())) {
                    subscriptions.unsubscribe(unsubscribe, principal);
                }
            }
            case WsRequest.Publish publish -> publish(publish);
            case WsRequest.Ping ping -> send(WsFrames.pong(ping.ref()));
        }
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

    // ---- auth ----

    private void authenticate(String token, String ref, boolean reply) {
        authenticating = true;
        // Verification may read a key file or fetch a JWKS: on a worker, unordered.
        context.executeBlocking(() -> services.admission().authenticate(token), false).onComplete(result -> onContext(() -> {
            authenticating = false;
            if (closing) {
                return;
            }
            if (result.failed()) {
                String message = result.cause() instanceof AuthenticationException e ? e.getMessage()
                        : "the token is not valid";
                if (principal == null || principal.isAnonymous()) {
                    close(ErrorCode.UNAUTHORIZED, message);
                    return;
                }
                // A failed refresh keeps the connection on its current token until that expires.
                send(WsFrames.error(ErrorCode.UNAUTHORIZED, message, ref));
            } else if (accept(result.result()) && reply) {
                send(WsFrames.authenticated(principal.subject(), ref));
            }
            while (!authenticating && !closing && !waiting.isEmpty()) {
                String next = waiting.poll();
                waitingChars -= next.length();
                handle(next);
            }
        }));
    }

    private boolean accept(Principal verified) {
        if (principal != null && principal.authenticated()
                && !Objects.equals(principal.subject(), verified.subject())) {
            close(ErrorCode.FORBIDDEN, "a connection cannot change its user");
            return false;
        }
        if (anonymousPlace) {
            // Authenticated now: from the anonymous places to the node's.
            try {
                scope.movePlace(services.admission().nodePlaces(TRANSPORT).take(false));
            } catch (RetryLaterException full) {
                close(ErrorCode.TOO_MANY_CONNECTIONS, full.getMessage());
                return false;
            }
            anonymousPlace = false;
        }
        if (countedUser == null && verified.subject() != null) {
            if (!services.limits().tryAcquire(verified.subject())) {
                close(ErrorCode.TOO_MANY_CONNECTIONS, "too many connections for this user (at most "
                        + services.limits().perUser() + " per node)");
                return false;
            }
            countedUser = verified.subject();
        }
        for (Topic topic : subscriptions.topics()) {
            if (!verified.maySubscribe(topic)) {
                // A refreshed token that no longer covers a subscription ends it, rather than extend it.
                close(ErrorCode.FORBIDDEN, "the new token does not allow the subscription to '" + topic + "'");
                return false;
            }
        }
        cancelTimer(authTimer);
        principal = verified;
        scope.expireAt(verified.expiresAt(), () -> onContext(() ->
                close(ErrorCode.UNAUTHORIZED, "token expired: reconnect with a fresh token and your cursor")));
        return true;
    }

    /**
     * A subscription was authorized: an anonymous connection has what anonymous access is for and may
     * stay, in its anonymous place (decided here rather than once opened, so that a long replay does not
     * race the timeout).
     */
    void subscribing() {
        if (principal.isAnonymous() && !anonymousSubscriber) {
            anonymousSubscriber = true;
            cancelTimer(authTimer);
        }
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
            services.publisher().publish(principal, request.topic(), request.event(), request.idempotencyKey())
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
        cancelTimer(authTimer);
        cancelTimer(pingTimer);
        subscriptions.releaseAll();
        if (countedUser != null) {
            services.limits().release(countedUser);
        }
        waiting.clear();
        if (scope != null) {
            scope.close();
        }
        UpgradeRequests.done(connection.userData().get(UpgradeCheck.REQUEST));
    }

    private void cancelTimer(long id) {
        if (id >= 0) {
            context.owner().cancelTimer(id);
        }
    }
}
