package dev.herald.api;

/** The request conflicts with the resource's current state (a job's lease is no longer current): HTTP 409. */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
