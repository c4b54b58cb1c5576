package dev.herald.broker;

/**
 * A publish reached the broker's backend but its answer did not come back in time (the command timed
 * out, or the connection was lost after the command was written): the event may or may not be stored.
 * Unlike {@link BrokerUnavailableException}, which means "not stored", the client cannot tell, so it
 * retries with the same idempotency key, which stores the event at most once.
 */
public class PublishOutcomeUnknownException extends RuntimeException {

    public PublishOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
