package dev.herald.broker.redis;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Tells a half-open pub/sub connection from a quiet one. A connection whose peer vanished without a
 * FIN or RST (a dropped network path, a frozen Redis) looks open for as long as the kernel keeps
 * retransmitting; a subscriber on it would wait for events that never come. So every ping interval
 * the connection is sent a probe, and a probe unanswered within the ping timeout counts as a loss.
 *
 * <p>The probe is an UNSUBSCRIBE from a channel nobody subscribes to, not a PING: under RESP2 the client
 * matches a PING's reply by position, and a pub/sub message arriving first would be taken for it (and
 * lost). An UNSUBSCRIBE's answer comes as a pub/sub message itself, under RESP2 and RESP3 alike.
 *
 * <p>Threads: the owner's context only.
 */
final class PubSubProbe {

    private final Vertx vertx;
    private final Context context;
    private final Duration timeout;
    private final String channel;
    /** The deadline timer of the probe in flight (0: none). */
    private long deadline;

    PubSubProbe(Vertx vertx, Context context, Duration timeout, String channel) {
        this.vertx = vertx;
        this.context = context;
        this.timeout = timeout;
        this.channel = channel;
    }

    /** Probes {@code conn} unless a probe is in flight; {@code lost} runs if no answer comes in time. */
    void send(RedisConnection conn, Consumer<RedisConnection> lost) {
        if (conn == null || deadline != 0) {
            return;
        }
        conn.send(Request.cmd(Command.UNSUBSCRIBE).arg(channel));
        deadline = vertx.setTimer(Math.max(1, timeout.toMillis()), id -> context.runOnContext(v -> {
            if (deadline == id) {
                deadline = 0;
                lost.accept(conn);
            }
        }));
    }

    /** Whether a pub/sub message is the answer to the probe: if so, the probe in flight ends. */
    boolean answers(String kind, String channelName) {
        if (kind.equals("unsubscribe") && channel.equals(channelName)) {
            cancel();
            return true;
        }
        return false;
    }

    /** Stops waiting for an answer (the connection is gone anyway). */
    void cancel() {
        if (deadline != 0) {
            vertx.cancelTimer(deadline);
            deadline = 0;
        }
    }

    Duration timeout() {
        return timeout;
    }
}
