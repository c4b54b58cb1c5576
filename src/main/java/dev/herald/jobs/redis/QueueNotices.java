package dev.herald.jobs.redis;

import dev.herald.jobs.QueueName;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * This node's pub/sub connection for "a job became available" notices, subscribed to the channels of the
 * queues local workers wait on (PUBLISH and SUBSCRIBE: cluster-wide on a Redis Cluster, on 6.2 and 7).
 * All state is confined to one Vert.x context.
 *
 * <p>Notices are a shortcut, not the guarantee: a waiting worker also polls, so a notice lost while the
 * connection is down only delays a lease. Once a subscription takes effect (a new watch, or every watched
 * queue after a reconnect) its queue is announced once, since notices sent before it reached nobody.
 */
final class QueueNotices {

    private static final Logger LOG = Logger.getLogger(QueueNotices.class);
    private static final long MAX_BACKOFF_MS = 2000;

    private final Vertx vertx;
    private final Context context;
    private final Redis redis;
    private final Function<QueueName, String> channels;
    /** Channel → queue and how many watches it has. */
    private final Map<String, QueueName> queues = new HashMap<>();
    private final Map<String, Integer> watches = new HashMap<>();
    private volatile Consumer<QueueName> listener = q -> {
    };
    private RedisConnection connection;
    private boolean connecting;
    private long backoffMs = 100;
    private boolean closed;

    QueueNotices(Vertx vertx, Redis redis, Function<QueueName, String> channels) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.redis = redis;
        this.channels = channels;
    }

    void setListener(Consumer<QueueName> listener) {
        this.listener = listener;
    }

    void watch(QueueName queue) {
        String channel = channels.apply(queue);
        context.runOnContext(v -> {
            if (watches.merge(channel, 1, Integer::sum) == 1) {
                queues.put(channel, queue);
                if (connection != null) {
                    subscribe(connection, channel);
                } else {
                    connect();
                }
            }
        });
    }

    void unwatch(QueueName queue) {
        String channel = channels.apply(queue);
        context.runOnContext(v -> {
            Integer left = watches.computeIfPresent(channel, (c, n) -> n > 1 ? n - 1 : null);
            if (left == null && queues.remove(channel) != null && connection != null) {
                connection.send(Request.cmd(Command.UNSUBSCRIBE).arg(channel));
            }
        });
    }

    private void connect() {
        if (connecting || closed || connection != null) {
            return;
        }
        connecting = true;
        redis.connect().onComplete(ar -> context.runOnContext(v -> {
            connecting = false;
            if (ar.failed() || closed) {
                if (ar.succeeded()) {
                    ar.result().close();
                }
                LOG.debugf("job notices: no Redis pub/sub connection (%s)", ar.failed() ? ar.cause().getMessage() : "closed");
                retry();
                return;
            }
            RedisConnection conn = ar.result();
            conn.handler(message -> onMessage(message));
            conn.exceptionHandler(e -> context.runOnContext(x -> lost(conn)));
            conn.endHandler(e -> context.runOnContext(x -> lost(conn)));
            connection = conn;
            backoffMs = 100;
            for (String channel : queues.keySet()) {
                subscribe(conn, channel);
            }
        }));
    }

    /**
     * Subscribes, then announces the queue once: a job enqueued before the subscription took effect had
     * its notice sent to nobody.
     */
    private void subscribe(RedisConnection conn, String channel) {
        conn.send(Request.cmd(Command.SUBSCRIBE).arg(channel)).onSuccess(r -> context.runOnContext(v -> {
            QueueName queue = queues.get(channel);
            if (queue != null && connection == conn) {
                listener.accept(queue);
            }
        }));
    }

    private void onMessage(Response message) {
        if (message == null || (message.type() != ResponseType.MULTI && message.type() != ResponseType.PUSH)
                || message.size() < 3 || !"message".equals(message.get(0).toString())) {
            return;
        }
        String channel = message.get(1).toString();
        context.runOnContext(v -> {
            QueueName queue = queues.get(channel);
            if (queue != null) {
                listener.accept(queue);
            }
        });
    }

    private void lost(RedisConnection conn) {
        if (connection != conn) {
            return;
        }
        connection = null;
        conn.close();
        LOG.debug("job notices: Redis pub/sub connection lost; reconnecting");
        retry();
    }

    private void retry() {
        if (closed || queues.isEmpty()) {
            return;
        }
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        vertx.setTimer(delay, id -> context.runOnContext(v -> connect()));
    }

    void close() {
        context.runOnContext(v -> {
            closed = true;
            if (connection != null) {
                connection.close();
                connection = null;
            }
        });
    }
}
