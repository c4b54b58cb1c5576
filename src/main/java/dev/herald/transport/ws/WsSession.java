package dev.herald.transport.ws;

import dev.herald.api.PayloadTooLargeException;
import dev.herald.api.ProblemMapping;
import dev.herald.auth.AuthenticationException;
import dev.herald.auth.AuthorizationException;
import dev.herald.auth.Principal;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.PublishOutcomeUnknownException;
import dev.herald.broker.PublishRequest;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.hub.SubscriberSink;
import dev.herald.hub.Subscription;
import dev.herald.ops.Drainable;
import dev.herald.publish.PublishParser;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * One WebSocket connection: its user, its subscriptions (one per {@code subscribe}, each with its own
 * cursor; a topic is in at most one), its limits and timers. Everything runs on the connection's
 * event loop; the hub and the broker reach it through {@link Context#runOnContext}.
 *
 * <p>Outbound writes and backpressure: {@link WsOutbound}.
 */
final class WsSession implements Drainable {

    static final String TRANSPORT = "ws";
    static final int GOING_AWAY = 1001;
    static final int UNSUPPORTED_DATA = 1003;
    static final int TOO_BIG = 1009;
    static final int INTERNAL_ERROR = 1011;
    static final int UNAUTHORIZED = 4001;
    static final int FORBIDDEN = 4003;
    static final int SLOW_CONSUMER = 4008;
    static final int TOO_MANY = 4029;
    static final int PROTOCOL_ERROR = 4400;
    static final int IDLE = 4408;

    private static final Logger LOG = Logger.getLogger(WsSession.class);
    /** Messages that arrive while a token is being verified wait, up to this many characters in all. */
    private static final int MAX_WAITING_CHARS = 256 * 1024;
    /** Subscriptions being opened (replaying) at once per connection; more get {@code rate-limited}. */
    static final int MAX_OPENING = 4;
    /** Subscribe and unsubscribe ops per second (and burst): each can cost a replay and broker calls. */
    private static final double SUBSCRIBE_RATE = 10;
    private static final int SUBSCRIBE_BURST = 20;
    /** Client pings per second (and burst): Vert.x answers each with a pong that no limit counts. */
    private static final double PING_RATE = 5;
    private static final int PING_BURST = 20;

    private final EventsWebSocket ws;
    private final WebSocketConnection connection;
    private final Context context;
    private final Thread eventLoop;
    private final String member;
    private final Map<Topic, WsSubscription> byTopic = new HashMap<>();
    private final Set<Topic> presenceTopics = new LinkedHashSet<>();
    private final ArrayDeque<String> waiting = new ArrayDeque<>();
    private final TokenBucket publishes;
    private final TokenBucket violations;
    private final TokenBucket subscribes = new TokenBucket(SUBSCRIBE_RATE, SUBSCRIBE_BURST);
    private final TokenBucket pings = new TokenBucket(PING_RATE, PING_BURST);
    private int waitingChars;
    private int opening;
    private Principal principal;
    private String countedUser;
    /** Releases this connection's place in the node's connection limit; null when it got none. */
    private Runnable release;
    /** The place is one of those for connections without a token (until a token is verified). */
    private boolean anonymousPlace;
    /** An anonymous connection that subscribed to a topic open to anonymous clients: no auth timeout. */
    private boolean anonymousSubscriber;
    private boolean authenticating;
    private boolean closing;
    private boolean cleanedUp;
    private int protocolErrors;
    private WsWorker worker;
    private long lastSeen = System.nanoTime();
    private long authTimer = -1;
    private long pingTimer = -1;
    private long expiryTimer = -1;
    /** Everything this connection writes goes through here. */
    final WsOutbound out;

    WsSession(EventsWebSocket ws, WebSocketConnection connection, Context context) {
        this.ws = ws;
        this.connection = connection;
        this.context = context;
        this.eventLoop = Thread.currentThread();
        this.member = ws.presence.member(connection.id());
        this.publishes = new TokenBucket(ws.settings.publishRate(), ws.settings.publishBurst());
        this.violations = new TokenBucket(1, ws.settings.maxRateViolations());
        this.out = new WsOutbound(this, connection, context, ws.metrics.deliveries(TRANSPORT));
    }

    void open() {
        ws.metrics.connectionOpened(TRANSPORT);
        String token = connection.userData().get(UpgradeCheck.TOKEN);
        // Anyone can open a connection without a token: it waits among the anonymous places, so that
        // such connections can never take the places of users with a token.
        anonymousPlace = token == null && ws.authorizer.enabled();
        release = anonymousPlace ? ws.limits.tryOpenAnonymous(TRANSPORT) : ws.limits.tryOpen(TRANSPORT);
        if (release == null) {
            close(TOO_MANY, anonymousPlace
                    ? "this node is at its limit of connections without a token; reconnect later"
                    : "this node is at its connection limit; reconnect later");
            return;
        }
        pingTimer = context.owner().setPeriodic(ws.settings.pingInterval().toMillis(), id -> onContext(this::ping));
        ws.drain.register(this);
        // No verified token within the timeout: no token and no auth message, a verification that hangs
        // (a JWKS endpoint that does not answer), or an anonymous connection that subscribed to nothing.
        // Pings do not count: an anonymous connection that only pings would otherwise hold its place
        // forever, the idle timeout being reset by every ping.
        authTimer = context.owner().setTimer(ws.settings.authTimeout().toMillis(), id -> onContext(() -> {
            if (principal == null || (principal.isAnonymous() && !anonymousSubscriber)) {
                close(UNAUTHORIZED, "authentication timeout: send {\"op\":\"auth\",\"token\":...} first");
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
                close(PROTOCOL_ERROR, "too many messages before authentication completed");
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
        if (!closing && !pings.tryTake()) {
            // Every ping costs a pong the server writes whether or not the client reads: a flood of them
            // from a client that never reads would pile up outbound buffers without bound.
            close(PROTOCOL_ERROR, "too many pings");
        }
    }

    private void handle(String text) {
        WsRequest request;
        try {
            request = ws.parser.parse(text);
        } catch (WsRequest.Refused refused) {
            protocolError(refused.code, refused.getMessage(), refused.ref);
            return;
        }
        if (principal == null && !(request instanceof WsRequest.Auth)) {
            // No token at the upgrade and no auth first: an anonymous connection from now on, still under
            // the auth timeout (unless authentication is off: then everyone is authenticated).
            principal = ws.authorizer.authenticate(null);
            if (principal.authenticated()) {
                cancelTimer(authTimer);
            }
        }
        switch (request) {
            case WsRequest.Auth auth -> authenticate(auth.token(), auth.ref(), true);
            case WsRequest.Subscribe subscribe -> subscribe(subscribe);
            case WsRequest.Unsubscribe unsubscribe -> unsubscribe(unsubscribe);
            case WsRequest.Publish publish -> publish(publish);
            case WsRequest.Ping ping -> send(WsFrames.pong(ping.ref()));
            case WsRequest.Job job -> worker().handle(job);
        }
    }

    /** This connection's worker side (job leases), made at its first worker op. */
    private WsWorker worker() {
        if (worker == null) {
            worker = new WsWorker(this, ws.jobs, context);
        }
        return worker;
    }

    Principal principal() {
        return principal;
    }

    void protocolError(String code, String message, String ref) {
        send(WsFrames.error(code, message, ref));
        if (++protocolErrors >= ws.settings.maxProtocolErrors()) {
            close(PROTOCOL_ERROR, "too many invalid messages");
        }
    }

    // ---- auth ----

    private void authenticate(String token, String ref, boolean reply) {
        authenticating = true;
        // Verification may read a key file or fetch a JWKS: on a worker, unordered.
        context.executeBlocking(() -> ws.authorizer.authenticateForStream(token), false).onComplete(result -> onContext(() -> {
            authenticating = false;
            if (closing) {
                return;
            }
            if (result.failed()) {
                String message = result.cause() instanceof AuthenticationException e ? e.getMessage()
                        : "the token is not valid";
                if (principal == null || principal.isAnonymous()) {
                    close(UNAUTHORIZED, message);
                    return;
                }
                // A failed refresh keeps the connection on its current token until that expires.
                send(WsFrames.error("unauthorized", message, ref));
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
            close(FORBIDDEN, "a connection cannot change its user");
            return false;
        }
        if (anonymousPlace) {
            // Authenticated now: from the anonymous places to the node's.
            Runnable place = ws.limits.tryOpen(TRANSPORT);
            if (place == null) {
                close(TOO_MANY, "this node is at its connection limit; reconnect later");
                return false;
            }
            release.run();
            release = place;
            anonymousPlace = false;
        }
        if (countedUser == null && verified.subject() != null) {
            if (!ws.limits.tryAcquire(verified.subject())) {
                close(TOO_MANY, "too many connections for this user (at most " + ws.limits.perUser() + " per node)");
                return false;
            }
            countedUser = verified.subject();
        }
        for (Topic topic : byTopic.keySet()) {
            if (!verified.maySubscribe(topic)) {
                // A refreshed token that no longer covers a subscription ends it, rather than extend it.
                close(FORBIDDEN, "the new token does not allow the subscription to '" + topic + "'");
                return false;
            }
        }
        cancelTimer(authTimer);
        principal = verified;
        cancelTimer(expiryTimer);
        if (verified.expiresAt() > 0) {
            long left = Math.max(1, verified.expiresAt() * 1000 - System.currentTimeMillis());
            expiryTimer = context.owner().setTimer(left, id -> onContext(() ->
                    close(UNAUTHORIZED, "token expired: reconnect with a fresh token and your cursor")));
        }
        return true;
    }

    // ---- subscribe ----

    private void subscribe(WsRequest.Subscribe request) {
        if (!subscribeAllowed(request.ref())) {
            return;
        }
        if (opening >= MAX_OPENING) {
            send(WsFrames.error("rate-limited", "at most " + MAX_OPENING
                    + " subscriptions may be opening at once; wait for 'subscribed'", request.ref()));
            return;
        }
        for (Topic topic : request.topics()) {
            if (byTopic.containsKey(topic)) {
                protocolError("invalid", "already subscribed to '" + topic + "' on this connection", request.ref());
                return;
            }
        }
        if (byTopic.size() + request.topics().size() > ws.maxTopics) {
            protocolError("invalid", "a connection subscribes to at most " + ws.maxTopics + " topics", request.ref());
            return;
        }
        try {
            ws.authorizer.requireSubscribe(principal, request.topics());
        } catch (RuntimeException e) {
            send(WsFrames.error(code(e), e.getMessage(), request.ref()));
            return;
        }
        if (principal.isAnonymous() && !anonymousSubscriber) {
            // What anonymous access is for: this connection may stay, in its anonymous place (decided
            // here rather than once opened, so that a long replay does not race the timeout).
            anonymousSubscriber = true;
            cancelTimer(authTimer);
        }
        if (request.presence()) {
            for (Topic topic : request.topics()) {
                if (!ws.presence.tracks(topic)) {
                    protocolError("invalid", "presence is not tracked for '" + topic + "' (herald.presence.topics)",
                            request.ref());
                    return;
                }
            }
        }
        open(request.topics(), request.cursor(), request.presence(), request.ref(), true);
    }

    /** Subscribe and unsubscribe share a token bucket; running dry counts as a rate violation. */
    private boolean subscribeAllowed(String ref) {
        if (subscribes.tryTake()) {
            return true;
        }
        if (!violations.tryTake()) {
            close(TOO_MANY, "subscribe rate exceeded");
        } else {
            send(WsFrames.error("rate-limited", "more than " + (int) SUBSCRIBE_RATE
                    + " subscribe or unsubscribe per second; slow down", ref));
        }
        return false;
    }

    private void open(List<Topic> topics, String cursor, boolean wantsPresence, String ref, boolean reply) {
        WsSubscription sub = new WsSubscription(this, topics, cursor, wantsPresence);
        topics.forEach(t -> byTopic.put(t, sub));
        opening++;
        if (wantsPresence) {
            topics.forEach(ws.presence::watch);
        }
        ws.hub.open(topics, cursor, wantsPresence, sub).subscribe().with(
                subscription -> onContext(() -> {
                    opening--;
                    opened(sub, subscription, ref, reply);
                }),
                failure -> onContext(() -> {
                    opening--;
                    release(sub);
                    if (closing) {
                        return;
                    }
                    if (reply) {
                        send(WsFrames.error(code(failure), message(failure), ref));
                    } else {
                        // The rest of a subscription could not be reopened after a partial unsubscribe:
                        // the client resumes it from its own cursor.
                        close(SLOW_CONSUMER, "could not keep the remaining topics; reconnect with your cursor");
                    }
                }));
    }

    private void opened(WsSubscription sub, Subscription subscription, String ref, boolean reply) {
        if (closing || sub.cancelled) {
            ws.hub.close(subscription);
            return;
        }
        if (reply) {
            send(WsFrames.subscribed(names(sub.topics), subscription.initialCursor(), ref));
        }
        if (principal.subject() != null) {
            for (Topic topic : sub.topics) {
                if (ws.presence.tracks(topic) && presenceTopics.add(topic)) {
                    ws.presence.join(topic, member, principal.subject());
                }
            }
        }
        sub.start(subscription);
    }

    private void unsubscribe(WsRequest.Unsubscribe request) {
        if (!subscribeAllowed(request.ref())) {
            return;
        }
        Set<WsSubscription> affected = new LinkedHashSet<>();
        for (Topic topic : request.topics()) {
            WsSubscription sub = byTopic.get(topic);
            if (sub == null) {
                protocolError("invalid", "not subscribed to '" + topic + "'", request.ref());
                return;
            }
            affected.add(sub);
        }
        for (WsSubscription sub : affected) {
            List<Topic> remaining = new ArrayList<>(sub.topics);
            remaining.removeAll(request.topics());
            if (!remaining.isEmpty() && !sub.drained()) {
                // Its position is only exact once everything queued is written (a queued herald.reset
                // has already moved it): the client resumes the rest from its own cursor instead.
                close(SLOW_CONSUMER, "unsubscribed while deliveries were queued; reconnect with your cursor");
                return;
            }
            String cursor = sub.position();
            release(sub);
            if (!remaining.isEmpty()) {
                // The rest of a multi-topic subscription goes on from where it was: replayed from its
                // cursor, so nothing queued for it is lost.
                open(remaining, cursor, sub.wantsPresence, null, false);
            }
        }
        for (Topic topic : request.topics()) {
            if (presenceTopics.remove(topic)) {
                ws.presence.leave(topic, member);
            }
        }
        send(WsFrames.unsubscribed(names(request.topics()), request.ref()));
    }

    /** Ends a subscription (or one still opening) and frees its topics. */
    private void release(WsSubscription sub) {
        if (sub.cancelled) {
            return;
        }
        if (sub.wantsPresence) {
            sub.topics.forEach(ws.presence::unwatch);
        }
        sub.cancelled = true;
        sub.topics.forEach(t -> byTopic.remove(t, sub));
        if (sub.subscription != null) {
            ws.hub.close(sub.subscription);
        }
    }

    /** The hub dropped a subscription: its queue overflowed, or its history was lost. */
    void dropped(WsSubscription sub, SubscriberSink.CloseReason reason) {
        if (reason == SubscriberSink.CloseReason.SLOW_CONSUMER) {
            ws.metrics.slowConsumerDropped(TRANSPORT);
            close(SLOW_CONSUMER, "slow consumer: reconnect and resume with your cursor");
        } else {
            close(SLOW_CONSUMER, "events were lost upstream: reconnect with your cursor to resynchronize");
        }
    }

    // ---- publish ----

    private void publish(WsRequest.Publish request) {
        if (!publishes.tryTake()) {
            if (!violations.tryTake()) {
                close(TOO_MANY, "publish rate exceeded");
            } else {
                send(WsFrames.error("rate-limited", "more than " + ws.settings.publishRate()
                        + " publishes per second; slow down", request.ref()));
            }
            return;
        }
        PublishRequest publish;
        try {
            ws.authorizer.requirePublish(principal, request.topic());
            publish = ws.publishParser.toRequest(request.topic(), request.event(),
                    PublishParser.checkKey(request.idempotencyKey()), false);
        } catch (InvalidInputException e) {
            protocolError("invalid", e.getMessage(), request.ref());
            return;
        } catch (RuntimeException e) {
            send(WsFrames.error(code(e), message(e), request.ref()));
            return;
        }
        ws.broker.publish(publish).subscribe().with(
                result -> onContext(() -> {
                    ws.metrics.eventPublished(result.duplicate());
                    send(WsFrames.ack(result.id().toString(), result.topic().name(), result.duplicate(), request.ref()));
                }),
                failure -> onContext(() -> send(WsFrames.error(code(failure), message(failure), request.ref()))));
    }

    private static String code(Throwable failure) {
        Throwable t = ProblemMapping.unwrap(failure);
        if (t instanceof AuthenticationException) {
            return "unauthorized";
        } else if (t instanceof AuthorizationException) {
            return "forbidden";
        } else if (t instanceof InvalidInputException) {
            return "invalid";
        } else if (t instanceof PayloadTooLargeException) {
            return "too-large";
        } else if (t instanceof BrokerUnavailableException) {
            return "unavailable";
        } else if (t instanceof PublishOutcomeUnknownException) {
            return "outcome-unknown"; // may be stored: retry with the same idempotencyKey
        }
        LOG.error("unexpected WebSocket failure", t);
        return "internal";
    }

    private static String message(Throwable failure) {
        Throwable t = ProblemMapping.unwrap(failure);
        if (t instanceof AuthenticationException || t instanceof AuthorizationException
                || t instanceof InvalidInputException || t instanceof PayloadTooLargeException
                || t instanceof BrokerUnavailableException || t instanceof PublishOutcomeUnknownException) {
            return t.getMessage();
        }
        return "an unexpected error occurred";
    }

    // ---- outbound ----

    void send(String text) {
        out.send(text);
    }

    /** The subscriptions held back by backpressure drain again (event loop). */
    void drainAll() {
        new ArrayList<>(byTopic.values()).stream().distinct().forEach(WsSubscription::drain);
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
        if (System.nanoTime() - lastSeen > ws.settings.idleTimeout().toNanos()) {
            close(IDLE, "idle timeout: no message or pong received");
            return;
        }
        connection.sendPing(Buffer.buffer("hb")).subscribe().with(ok -> { }, failure -> { });
    }

    @Override
    public void goAway(Duration retry) {
        onContext(() -> close(GOING_AWAY, "server shutting down; reconnect; retry=" + retry.toMillis()));
    }

    void close(int code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        connection.close(new CloseReason(code, reason)).subscribe().with(ok -> { }, failure -> { });
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
        cancelTimer(expiryTimer);
        new ArrayList<>(byTopic.values()).stream().distinct().forEach(this::release);
        if (worker != null) {
            worker.close();
        }
        presenceTopics.forEach(topic -> ws.presence.leave(topic, member));
        presenceTopics.clear();
        if (countedUser != null) {
            ws.limits.release(countedUser);
        }
        if (release != null) {
            release.run();
        }
        waiting.clear();
        ws.drain.unregister(this);
        ws.metrics.connectionClosed(TRANSPORT);
        UpgradeRequests.done(connection.userData().get(UpgradeCheck.REQUEST));
    }

    private void cancelTimer(long id) {
        if (id >= 0) {
            context.owner().cancelTimer(id);
        }
    }

    private static List<String> names(List<Topic> topics) {
        return topics.stream().map(Topic::name).toList();
    }
}
