package dev.herald.transport;

import dev.herald.metrics.HeraldMetrics;
import dev.herald.ops.Drain;
import dev.herald.ops.Drainable;
import io.vertx.core.Context;

/**
 * What every connection holds apart from its wire format, released in one place: its place under the
 * node's limits, its registration with the drain (so that shutdown reaches it), its share of the
 * connection gauge, and the timer that ends it when its token expires. {@link #close()} is idempotent,
 * so every way a connection can end (the client leaves, the server ends it, a refusal while it was
 * being opened) may call it.
 *
 * <p>Threads: the connection's context (event loop) only.
 */
public final class ConnectionScope {

    private final String transport;
    private final Context context;
    private final Drain drain;
    private final HeraldMetrics metrics;
    private Runnable release;
    private Drainable registered;
    private long expiryTimer = -1;
    private boolean closed;

    /**
     * @param release frees the connection's place (see {@link Admission#place}); run once, on {@link #close()}
     */
    public ConnectionScope(String transport, Context context, Drain drain, HeraldMetrics metrics, Runnable release) {
        this.transport = transport;
        this.context = context;
        this.drain = drain;
        this.metrics = metrics;
        this.release = release;
    }

    public String transport() {
        return transport;
    }

    public HeraldMetrics metrics() {
        return metrics;
    }

    /** The connection is serving: it counts as open and the drain will tell it to go. */
    public void opened(Drainable connection) {
        if (closed || registered != null) {
            return;
        }
        registered = connection;
        metrics.connectionOpened(transport);
        drain.register(connection);
    }

    /** Moves the connection to another place (a WebSocket whose token was verified leaves the anonymous places). */
    public void movePlace(Runnable newRelease) {
        Runnable old = release;
        release = newRelease;
        old.run();
    }

    /**
     * Runs {@code onExpiry} when the token that authorized the connection expires, replacing the timer
     * of an earlier token (a WebSocket may refresh its token). A connection must not outlive the token
     * that authorized it: expiry is how tokens are revoked. No timer when {@code expiresAt} is 0.
     *
     * @param expiresAt the token's {@code exp}, epoch seconds, or 0 for none
     */
    public void expireAt(long expiresAt, Runnable onExpiry) {
        cancelExpiry();
        if (expiresAt > 0 && !closed) {
            expiryTimer = context.owner().setTimer(Math.max(1, millisUntil(expiresAt)), id -> {
                expiryTimer = -1;
                onExpiry.run();
            });
        }
    }

    /** Milliseconds until {@code expiresAt} (epoch seconds; 0 means never: {@link Long#MAX_VALUE}), at least 0. */
    public static long millisUntil(long expiresAt) {
        return expiresAt > 0 ? Math.max(0, expiresAt * 1000 - System.currentTimeMillis()) : Long.MAX_VALUE;
    }

    public boolean closed() {
        return closed;
    }

    /** Releases everything; true the first time only. */
    public boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        cancelExpiry();
        release.run();
        if (registered != null) {
            metrics.connectionClosed(transport);
            drain.unregister(registered);
        }
        return true;
    }

    private void cancelExpiry() {
        if (expiryTimer >= 0) {
            context.owner().cancelTimer(expiryTimer);
            expiryTimer = -1;
        }
    }
}
