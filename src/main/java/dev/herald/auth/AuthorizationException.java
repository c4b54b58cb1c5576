package dev.herald.auth;

/** A valid token (or an anonymous client) without the right asked for: HTTP 403 (WebSocket close 4003). */
public class AuthorizationException extends RuntimeException {

    public AuthorizationException(String message) {
        super(message);
    }
}
