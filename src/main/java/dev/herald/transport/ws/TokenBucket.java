package dev.herald.transport.ws;

/**
 * A token bucket: {@code capacity} tokens, refilled at {@code perSecond}; one connection's thread only.
 */
final class TokenBucket {

    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    TokenBucket(double perSecond, double capacity) {
        this.capacity = capacity;
        this.perNano = perSecond / 1e9;
        this.tokens = capacity;
        this.last = System.nanoTime();
    }

    /** Takes a token if there is one. */
    boolean tryTake() {
        long now = System.nanoTime();
        tokens = Math.min(capacity, tokens + (now - last) * perNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
