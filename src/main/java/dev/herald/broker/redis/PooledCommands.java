package dev.herald.broker.redis;

import dev.herald.broker.BrokerUnavailableException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends one command at a time on a connection borrowed from the pool of the calling event loop's client
 * ({@link LoopClients}), under a deadline, and
 * says which of two ways it failed:
 * <ul>
 *   <li>{@link BrokerUnavailableException}: Redis did not run the command. No connection was obtained
 *   before the deadline (Redis down, unreachable, stalled in the handshake, or the pool exhausted), or
 *   Redis answered with an error. For Herald's scripts an error reply means nothing was written: the
 *   only errors they can meet come before their first write (NOSCRIPT, NOPERM, OOM, BUSY, LOADING),
 *   and a script that has written cannot be killed.</li>
 *   <li>{@link OutcomeUnknownException}: the command was written and no answer came before the deadline,
 *   or the connection was lost after the write. Redis may have run it.</li>
 * </ul>
 * A connection whose command timed out is closed instead of going back to the pool: it may be
 * half-open (a partition without FIN or RST), and every later command lent it would stall too.
 */
final class PooledCommands {

    /** A command was written to Redis and no answer came: it may or may not have run. */
    static final class OutcomeUnknownException extends RuntimeException {
        OutcomeUnknownException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    private static final int WAITING_FOR_CONNECTION = 0;
    private static final int SENT = 1;
    private static final int DONE = 2;
    /** How long a discarded connection may take to write its tainting command before it is closed anyway. */
    private static final long DISCARD_GRACE_MS = 1000;

    private final Vertx vertx;
    private final LoopClients clients;

    PooledCommands(Vertx vertx, LoopClients clients) {
        this.vertx = vertx;
        this.clients = clients;
    }

    Uni<Response> send(String name, Request request, Duration deadline) {
        return Uni.createFrom().emitter(emitter -> new Attempt(name, request, emitter).start(deadline));
    }

    /** One command's way through the pool; the deadline and the replies race through {@code state}. */
    private final class Attempt {
        private final String name;
        private final Request request;
        private final UniEmitter<? super Response> emitter;
        private final AtomicInteger state = new AtomicInteger(WAITING_FOR_CONNECTION);
        private RedisConnection connection; // written before the state becomes SENT
        private long timer;

        Attempt(String name, Request request, UniEmitter<? super Response> emitter) {
            this.name = name;
            this.request = request;
            this.emitter = emitter;
        }

        void start(Duration deadline) {
            timer = vertx.setTimer(Math.max(1, deadline.toMillis()), id -> expire());
            clients.current().connect().onComplete(ar -> {
                if (ar.failed()) {
                    if (state.compareAndSet(WAITING_FOR_CONNECTION, DONE)) {
                        vertx.cancelTimer(timer);
                        emitter.fail(notRun("no connection", ar.cause()));
                    }
                    return;
                }
                RedisConnection conn = ar.result();
                connection = conn;
                if (!state.compareAndSet(WAITING_FOR_CONNECTION, SENT)) {
                    conn.close(); // the deadline passed while waiting for it: nothing was sent
                    return;
                }
                conn.send(request).onComplete(reply -> {
                    if (!state.compareAndSet(SENT, DONE)) {
                        return; // the deadline won and discarded the connection
                    }
                    vertx.cancelTimer(timer);
                    conn.close();
                    if (reply.succeeded()) {
                        emitter.complete(reply.result());
                    } else if (isErrorReply(reply.cause()) || isRefusedBeforeWrite(reply.cause())) {
                        emitter.fail(notRun("refused", reply.cause()));
                    } else {
                        emitter.fail(new OutcomeUnknownException(name + " sent, connection lost before the answer",
                                reply.cause()));
                    }
                });
            });
        }

        private void expire() {
            if (state.compareAndSet(WAITING_FOR_CONNECTION, DONE)) {
                emitter.fail(notRun("no connection within the deadline", null));
            } else if (state.compareAndSet(SENT, DONE)) {
                discard(connection);
                emitter.fail(new OutcomeUnknownException(name + " sent, no answer within the deadline", null));
            }
        }

        private BrokerUnavailableException notRun(String why, Throwable cause) {
            return new BrokerUnavailableException(name + " not run: " + why
                    + (cause == null ? "" : " (" + cause.getMessage() + ")"), cause);
        }
    }

    /** Redis answered with an error (the client surfaces replies of type ERROR as the failure itself). */
    static boolean isErrorReply(Throwable t) {
        return t instanceof Response reply && reply.type() == ResponseType.ERROR
                && !"CONNECTION_CLOSED".equals(t.getMessage()); // the client's own marker for a lost connection
    }

    /**
     * The client refused the command before writing it (these are the Vert.x Redis client's messages;
     * if they change, such failures count as unknown, which is safe).
     */
    private static boolean isRefusedBeforeWrite(Throwable t) {
        String message = t.getMessage();
        return "Connection is closed".equals(message) || "Redis waiting queue is full".equals(message);
    }

    /**
     * Takes a connection out of the pool for good. The Vert.x pool has no public call for it (and
     * Quarkus wraps the pooled connection), but it closes, rather than lends again, a connection that has
     * sent a pub/sub command: {@code UNSUBSCRIBE} of nothing marks it so, harmlessly, and the release
     * then closes its socket. In cluster mode the release closes only the node connection the
     * {@code UNSUBSCRIBE} went to; the others return to the pool (TCP keep-alive remains their backstop).
     */
    void discard(RedisConnection connection) {
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                connection.close();
            }
        };
        connection.send(Request.cmd(Command.UNSUBSCRIBE)).onComplete(ar -> release.run());
        // The write may never complete on a dead socket whose send buffer is full: release it anyway.
        vertx.setTimer(DISCARD_GRACE_MS, id -> release.run());
    }
}
