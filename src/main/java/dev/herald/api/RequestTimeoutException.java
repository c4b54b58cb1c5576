package dev.herald.api;

/** A request body that did not arrive in time: HTTP 408, and the connection is closed. */
public class RequestTimeoutException extends RuntimeException {

    public RequestTimeoutException(String message) {
        super(message);
    }
}
