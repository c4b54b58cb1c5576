package dev.herald.hub;

/**
 * A message the server itself sends on a subscription, such as {@code herald.reset}.
 *
 * @param type one of the reserved {@code herald.*} event types
 * @param data its payload, compact JSON
 */
public record Notice(String type, String data) {

    public static final String RESET = "herald.reset";
    public static final String SHUTDOWN = "herald.shutdown";
}
