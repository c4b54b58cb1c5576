package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import dev.herald.config.HeraldConfig;

/**
 * One connection's rate limits: token buckets for publishes, for subscribe and unsubscribe ops, and for
 * the client's pings. An op over its rate is answered {@code rate-limited}; a connection that runs dry
 * more than {@code herald.ws.max-rate-violations} times a second is closed (4029). Connection thread only.
 */
final class WsLimits {

    /** Subscriptions being opened (replaying) at once per connection; more get {@code rate-limited}. */
    static final int MAX_OPENING = 4;
    /** Subscribe and unsubscribe ops per second (and burst): each can cost a replay and broker calls. */
    static final double SUBSCRIBE_RATE = 10;
    private static final int SUBSCRIBE_BURST = 20;
    /** Client pings per second (and burst): Vert.x answers each with a pong that no limit counts. */
    private static final double PING_RATE = 5;
    private static final int PING_BURST = 20;

    private final double publishRate;
    private final TokenBucket publishes;
    private final TokenBucket violations;
    private final TokenBucket subscribes = new TokenBucket(SUBSCRIBE_RATE, SUBSCRIBE_BURST);
    private final TokenBucket pings = new TokenBucket(PING_RATE, PING_BURST);

    WsLimits(HeraldConfig.Ws settings) {
        this.publishRate = settings.publishRate();
        this.publishes = new TokenBucket(settings.publishRate(), settings.publishBurst());
        this.violations = new TokenBucket(1, settings.maxRateViolations());
    }

    /** Whether a publish is within its rate; else answers {@code rate-limited} or closes the session. */
    boolean publish(WsSession session, String ref) {
        return take(publishes, session, "more than " + publishRate + " publishes per second; slow down",
                "publish rate exceeded", ref);
    }

    /** Whether a subscribe or unsubscribe (they share one bucket) is within its rate; as {@link #publish}. */
    boolean subscribe(WsSession session, String ref) {
        return take(subscribes, session, "more than " + (int) SUBSCRIBE_RATE
                + " subscribe or unsubscribe per second; slow down", "subscribe rate exceeded", ref);
    }

    /**
     * Whether a client ping is within its rate: every ping costs a pong the server writes whether or not
     * the client reads, so a flood of them from a client that never reads would pile up outbound buffers.
     */
    boolean ping() {
        return pings.tryTake();
    }

    private boolean take(TokenBucket bucket, WsSession session, String refusal, String closeReason, String ref) {
        if (bucket.tryTake()) {
            return true;
        }
        if (violations.tryTake()) {
            session.send(WsFrames.error(ErrorCode.RATE_LIMITED, refusal, ref));
        } else {
            session.close(ErrorCode.RATE_LIMITED, closeReason);
        }
        return false;
    }
}
