package dev.herald.auth;

/**
 * No valid token where one is needed: HTTP 401 (WebSocket close 4001). The message never contains the
 * token.
 */
public class AuthenticationException extends RuntimeException {

    /** For metrics: {@code missing}, {@code invalid} or {@code expired}. */
    private final String reason;

    public AuthenticationException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
