package dev.herald.transport;

import dev.herald.api.ErrorCode;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RetryLaterException;
import dev.herald.auth.Principal;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.event.Topic;
import dev.herald.hub.Hub;
import dev.herald.hub.SubscriberSink;
import dev.herald.hub.Subscription;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.ops.ConnectionLimits;
import dev.herald.ops.Drain;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * How a subscriber gets in, the same for every transport: topics (already validated by the
 * transport) → drain check → a place under the node's limits → authenticate and authorize off the event
 * loop → {@link Hub#open}. The transports keep only their wire formats: each says how it answers an
 * admitted connection and a refusal, and refusals arrive as exceptions whose {@link ErrorCode} says
 * what happened ({@link ErrorCode#SHUTTING_DOWN}, {@link ErrorCode#TOO_MANY_CONNECTIONS},
 * {@link ErrorCode#UNAUTHORIZED}, {@link ErrorCode#BROKER_UNAVAILABLE}, ...).
 */
@ApplicationScoped
public class Admission {

    /** Where a transport's connections take their places. */
    public interface Places {

        /**
         * Takes a place, or throws a {@link RetryLaterException} when there is none.
         *
         * @param anonymous the request carries no token (and authentication is on)
         * @return frees the place; run once
         */
        Runnable take(boolean anonymous);
    }

    /** One admission's answers, called on the request's context. */
    public interface Admitted<S extends Connection> {

        /** A place is taken: the scope must be closed if the client goes away from here on. */
        default void admitting(ConnectionScope scope) {
        }

        /** Authorized: builds the connection that the hub will deliver to (and start once opened). */
        S connection(ConnectionScope scope, Principal principal);

        /** Refused before or while opening; the scope (if any was made) is already closed. */
        void refused(Throwable failure);
    }

    /**
     * The answers of a request-scoped transport (SSE, long polling): the place is freed whichever way
     * the response ends, normally or by its connection closing, also while the token is being verified.
     */
    public static <S extends Connection> Admitted<S> http(HttpServerResponse response,
                                                          BiFunction<ConnectionScope, Principal, S> connection,
                                                          Consumer<Throwable> refused) {
        return new Admitted<>() {
            @Override
            public void admitting(ConnectionScope scope) {
                response.endHandler(v -> scope.close());
            }

            @Override
            public S connection(ConnectionScope scope, Principal principal) {
                return connection.apply(scope, principal);
            }

            @Override
            public void refused(Throwable failure) {
                refused.accept(failure);
            }
        };
    }

    private final TopicAuthorizer authorizer;
    private final Drain drain;
    private final ConnectionLimits limits;
    private final Hub hub;
    private final HeraldMetrics metrics;

    public Admission(TopicAuthorizer authorizer, Drain drain, ConnectionLimits limits, Hub hub, HeraldMetrics metrics) {
        this.authorizer = authorizer;
        this.drain = drain;
        this.limits = limits;
        this.hub = hub;
        this.metrics = metrics;
    }

    /**
     * The node's connection places ({@code herald.subscriber.max-connections}); connections without a
     * token take places of their own ({@code herald.subscriber.max-anonymous-connections}), so that
     * anyone's connections can never take the places of users with a token.
     */
    public Places nodePlaces(String transport) {
        return anonymous -> {
            Runnable release = anonymous ? limits.tryOpenAnonymous(transport) : limits.tryOpen(transport);
            if (release == null) {
                throw new RetryLaterException(ErrorCode.TOO_MANY_CONNECTIONS, anonymous
                        ? "this node is at its limit of connections without a token; reconnect later"
                        : "this node is at its connection limit; reconnect later", retrySeconds());
            }
            return release;
        };
    }

    /** Whether a request with this token (or none) is anonymous: only when authentication is on. */
    public boolean anonymous(String token) {
        return token == null && authorizer.enabled();
    }

    /**
     * Admits a subscriber of a request-scoped transport (SSE, long polling): see the class comment. The
     * token is verified on a worker, unordered, so that connections arriving on one event loop are
     * verified in parallel (verification may read a key file or fetch a JWKS).
     */
    public <S extends Connection> void admit(String transport, List<Topic> topics, String token, String cursor,
                                                 Hub.Options options, Places places, Admitted<S> answer) {
        if (!drain.accepting()) {
            answer.refused(new RetryLaterException(ErrorCode.SHUTTING_DOWN, "this node is shutting down; reconnect",
                    retrySeconds()));
            return;
        }
        Context context = Vertx.currentContext();
        ConnectionScope scope;
        try {
            scope = new ConnectionScope(transport, context, drain, metrics, places.take(anonymous(token)));
        } catch (RetryLaterException full) {
            answer.refused(full);
            return;
        }
        answer.admitting(scope);
        context.executeBlocking(() -> authenticate(token), false).onComplete(verified -> {
            if (scope.closed()) {
                return; // the client left while its token was being verified
            }
            if (verified.failed()) {
                scope.close();
                answer.refused(ProblemMapping.unwrap(verified.cause()));
                return;
            }
            S connection;
            try {
                connection = answer.connection(scope, verified.result());
            } catch (RuntimeException e) {
                scope.close();
                answer.refused(e);
                return;
            }
            open(verified.result(), topics, cursor, connection, options).subscribe().with(
                    subscription -> context.runOnContext(v -> connection.start(subscription)),
                    failure -> context.runOnContext(v -> {
                        scope.close();
                        answer.refused(ProblemMapping.unwrap(failure));
                    }));
        });
    }

    /**
     * The last step of every admission, also taken alone by a connection that subscribes again (a
     * WebSocket's {@code subscribe}): the principal may subscribe to every topic, then the hub opens
     * the subscription. Fails with an {@link dev.herald.auth.AuthorizationException} otherwise.
     */
    public Uni<Subscription> open(Principal principal, List<Topic> topics, String cursor, SubscriberSink sink,
                                  Hub.Options options) {
        try {
            authorize(principal, topics);
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(e);
        }
        return hub.open(topics, cursor == null || cursor.isEmpty() ? null : cursor, sink, options);
    }

    /**
     * Verifies a token (may read a key file or fetch a JWKS: call it on a worker). A stream refuses a
     * token already past its expiry; null is the anonymous principal (or, with authentication off,
     * everyone's).
     */
    public Principal authenticate(String token) {
        return authorizer.authenticateForStream(token);
    }

    /** The principal of a connection that sent no token. */
    public Principal anonymousPrincipal() {
        return authorizer.authenticate(null);
    }

    /** Throws an {@link dev.herald.auth.AuthorizationException} unless {@code principal} may subscribe to every topic. */
    public void authorize(Principal principal, List<Topic> topics) {
        authorizer.requireSubscribe(principal, topics);
    }

    /** Ends a subscription opened here. */
    public void close(Subscription subscription) {
        hub.close(subscription);
    }

    private long retrySeconds() {
        return Math.max(1, (drain.jitteredRetry().toMillis() + 999) / 1000);
    }
}
