package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import dev.herald.api.RetryLaterException;
import dev.herald.auth.AuthenticationException;
import dev.herald.auth.Principal;
import dev.herald.event.Topic;
import dev.herald.transport.ConnectionScope;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Who is on a WebSocket connection: authentication at the upgrade or by an {@code auth} message (and
 * token refresh by another), the auth timeout, the move from the anonymous places to the node's, the
 * per-user connection count and the token's expiry. Messages that arrive while a token is being
 * verified wait here, bounded, and are handed back in order. Connection thread only.
 */
final class WsUser {

    /** Messages that arrive while a token is being verified wait, up to this many characters in all. */
    private static final int MAX_WAITING_CHARS = 256 * 1024;

    private final WsSession session;
    private final WsServices services;
    private final Context context;
    private final ArrayDeque<String> waiting = new ArrayDeque<>();
    private int waitingChars;
    private ConnectionScope scope;
    private Principal principal;
    private String countedUser;
    /** The place is one of those for connections without a token (until a token is verified). */
    private boolean anonymousPlace;
    /** An anonymous connection that subscribed to a topic open to anonymous clients: no auth timeout. */
    private boolean anonymousSubscriber;
    private boolean authenticating;
    private long authTimer = -1;

    WsUser(WsSession session, WsServices services, Context context) {
        this.session = session;
        this.services = services;
        this.context = context;
    }

    /**
     * Takes the connection's place and starts the auth timeout; verifies the upgrade's token if there is
     * one. Returns the connection's scope, or null when the node has no place for it (then it is closed).
     */
    ConnectionScope start(String token) {
        // Anyone can open a connection without a token: it waits among the anonymous places, so that
        // such connections can never take the places of users with a token.
        anonymousPlace = services.admission().anonymous(token);
        try {
            scope = new ConnectionScope(WsSession.TRANSPORT, context, services.drain(), services.metrics(),
                    services.admission().nodePlaces(WsSession.TRANSPORT).take(anonymousPlace));
        } catch (RetryLaterException full) {
            session.close(ErrorCode.TOO_MANY_CONNECTIONS, full.getMessage());
            return null;
        }
        // No verified token within the timeout: no token and no auth message, a verification that hangs
        // (a JWKS endpoint that does not answer), or an anonymous connection that subscribed to nothing.
        // Pings do not count: an anonymous connection that only pings would otherwise hold its place
        // forever, the idle timeout being reset by every ping.
        authTimer = context.owner().setTimer(services.settings().authTimeout().toMillis(), id -> session.onContext(() -> {
            if (principal == null || (principal.isAnonymous() && !anonymousSubscriber)) {
                session.close(ErrorCode.UNAUTHORIZED, "authentication timeout: send {\"op\":\"auth\",\"token\":...} first");
            }
        }));
        if (token != null) {
            authenticate(token, null, false);
        }
        return scope;
    }

    /** Whether {@code text} must wait for a verification in progress (it is then kept, or the connection closed). */
    boolean holds(String text) {
        if (!authenticating) {
            return false;
        }
        waitingChars += text.length();
        if (waitingChars > MAX_WAITING_CHARS) {
            session.close(ErrorCode.PROTOCOL_ERROR, "too many messages before authentication completed");
        } else {
            waiting.add(text);
        }
        return true;
    }

    /**
     * The principal for a message other than {@code auth}: with no token at the upgrade and no auth
     * first, an anonymous connection from now on, still under the auth timeout (unless authentication
     * is off: then everyone is authenticated).
     */
    Principal principal() {
        if (principal == null) {
            principal = services.admission().anonymousPrincipal();
            if (principal.authenticated()) {
                cancelAuthTimer();
            }
        }
        return principal;
    }

    /**
     * Verifies a token on a worker (it may read a key file or fetch a JWKS), unordered; with
     * {@code reply}, answers {@code authenticated}. The messages that waited meanwhile are handled then.
     */
    void authenticate(String token, String ref, boolean reply) {
        authenticating = true;
        context.executeBlocking(() -> services.admission().authenticate(token), false).onComplete(result -> session.onContext(() -> {
            authenticating = false;
            if (session.closing()) {
                return;
            }
            if (result.failed()) {
                String message = result.cause() instanceof AuthenticationException e ? e.getMessage()
                        : "the token is not valid";
                if (principal == null || principal.isAnonymous()) {
                    session.close(ErrorCode.UNAUTHORIZED, message);
                    return;
                }
                // A failed refresh keeps the connection on its current token until that expires.
                session.send(WsFrames.error(ErrorCode.UNAUTHORIZED, message, ref));
            } else if (accept(result.result()) && reply) {
                session.send(WsFrames.authenticated(principal.subject(), ref));
            }
            while (!authenticating && !session.closing() && !waiting.isEmpty()) {
                String text = waiting.poll();
                waitingChars -= text.length();
                session.handle(text);
            }
        }));
    }

    private boolean accept(Principal verified) {
        if (principal != null && principal.authenticated()
                && !Objects.equals(principal.subject(), verified.subject())) {
            session.close(ErrorCode.FORBIDDEN, "a connection cannot change its user");
            return false;
        }
        if (anonymousPlace) {
            // Authenticated now: from the anonymous places to the node's.
            try {
                scope.movePlace(services.admission().nodePlaces(WsSession.TRANSPORT).take(false));
            } catch (RetryLaterException full) {
                session.close(ErrorCode.TOO_MANY_CONNECTIONS, full.getMessage());
                return false;
            }
            anonymousPlace = false;
        }
        if (countedUser == null && verified.subject() != null) {
            if (!services.limits().tryAcquire(verified.subject())) {
                session.close(ErrorCode.TOO_MANY_CONNECTIONS, "too many connections for this user (at most "
                        + services.limits().perUser() + " per node)");
                return false;
            }
            countedUser = verified.subject();
        }
        for (Topic topic : session.subscriptions.topics()) {
            if (!verified.maySubscribe(topic)) {
                // A refreshed token that no longer covers a subscription ends it, rather than extend it.
                session.close(ErrorCode.FORBIDDEN, "the new token does not allow the subscription to '" + topic + "'");
                return false;
            }
        }
        cancelAuthTimer();
        principal = verified;
        scope.expireAt(verified.expiresAt(), () -> session.onContext(() ->
                session.close(ErrorCode.UNAUTHORIZED, "token expired: reconnect with a fresh token and your cursor")));
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
            cancelAuthTimer();
        }
    }

    /** The connection ends: its user's count and its place are released. */
    void release() {
        cancelAuthTimer();
        waiting.clear();
        if (countedUser != null) {
            services.limits().release(countedUser);
            countedUser = null;
        }
        if (scope != null) {
            scope.close();
        }
    }

    private void cancelAuthTimer() {
        if (authTimer >= 0) {
            context.owner().cancelTimer(authTimer);
            authTimer = -1;
        }
    }
}
