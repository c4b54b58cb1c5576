package dev.herald.broker.redis;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.redis.client.Redis;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The Redis client a command goes through: one per Vert.x event loop, so that a command sent from an
 * event loop is lent a connection, written, answered and completed on that same loop.
 *
 * <p>The Vert.x Redis client keeps every pooled connection on the one event loop it was created on. A
 * command from any other loop crosses threads on the way out and again on the way back, and each crossing
 * wakes the other loop (a system call, and on one core a context switch): with Quarkus's two event loops
 * per core, half of all commands paid that. A client made on each loop, on first use there, keeps its own
 * pool on that loop. Calls from other threads (startup, timers of other libraries) use the shared client.
 * Each loop's pool has the configured size ({@code quarkus.redis.max-pool-size}), so a node may hold up to
 * that many connections per event loop.
 */
final class LoopClients {

    private static final Logger LOG = Logger.getLogger(LoopClients.class);

    private final Redis shared;
    private final Supplier<Redis> factory;
    private final Map<Thread, Redis> byLoop = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param shared  the client for calls from other threads
     * @param factory makes a client with the shared one's options, or null to use the shared client
     *                everywhere; called on the event loop the new client belongs to
     */
    LoopClients(Redis shared, Supplier<Redis> factory) {
        this.shared = shared;
        this.factory = factory;
    }

    /** The client for the calling thread. */
    Redis current() {
        if (factory == null || closed || !Context.isOnEventLoopThread()) {
            return shared;
        }
        Redis client = byLoop.get(Thread.currentThread());
        return client != null ? client : create();
    }

    private Redis create() {
        Context context = Vertx.currentContext();
        if (context == null) {
            return shared;
        }
        // The client keeps the context it is made on for its connections: the loop's own, not the
        // duplicate of one request (whose local data would otherwise reach every later command).
        ContextInternal loop = ((ContextInternal) context).unwrap();
        Redis[] made = new Redis[1];
        loop.dispatch(v -> made[0] = factory.get());
        byLoop.put(Thread.currentThread(), made[0]);
        LOG.debugf("Redis client made for event loop %s", Thread.currentThread().getName());
        return made[0];
    }

    /** How many event loops have their own client (for tests). */
    int loops() {
        return byLoop.size();
    }

    void close() {
        closed = true;
        byLoop.values().forEach(Redis::close);
        byLoop.clear();
    }
}
