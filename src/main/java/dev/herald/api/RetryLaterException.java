package dev.herald.api;

/**
 * This node cannot serve the request now, but another node (or this one, a little later) can: HTTP 503
 * with {@code Retry-After}. Used when the node is draining for shutdown or is at a configured limit.
 */
public class RetryLaterException extends RuntimeException {

    private final String slug;
    private final long retryAfterSeconds;

    /**
     * @param slug              the problem type's last segment ({@code urn:herald:problem:<slug>})
     * @param message           the problem detail, shown to the client
     * @param retryAfterSeconds the {@code Retry-After} value, at least 1
     */
    public RetryLaterException(String slug, String message, long retryAfterSeconds) {
        super(message);
        this.slug = slug;
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    public String slug() {
        return slug;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
