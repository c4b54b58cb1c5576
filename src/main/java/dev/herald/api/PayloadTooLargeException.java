package dev.herald.api;

/** A request body or a part of it is over a configured limit: HTTP 413. */
public class PayloadTooLargeException extends RuntimeException {

    public PayloadTooLargeException(String message) {
        super(message);
    }
}
