package dev.herald.api;

/**
 * This node cannot serve the request now, but another node (or this one, a little later) can: HTTP 503
 * with {@code Retry-After}. Used when the node is draining for shutdown or is at a configured limit.
 */
public class RetryLaterException extends RuntimeException {

    private final ErrorCode code;
    private final long retryAfterSeconds;

    /**
     * @param code              the failure, one of the 503 rows of {@link ErrorCode}
     * @param message           the problem detail, shown to the client
     * @param retryAfterSeconds the {@code Retry-After} value, at least 1
     */
    public RetryLaterException(ErrorCode code, String message, long retryAfterSeconds) {
        super(message);
        this.code = code;
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    public ErrorCode code() {
        return code;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
