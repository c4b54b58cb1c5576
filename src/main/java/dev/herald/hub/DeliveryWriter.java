package dev.herald.hub;

import dev.herald.event.Event;

/** Writes deliveries in one wire format to one connection; used by {@link Subscription#drain}. */
public interface DeliveryWriter {

    /** Whether the connection can take another write now (its own write buffer is not full). */
    boolean canWrite();

    /**
     * Writes an event; {@code cursor} is the subscription's position after it, {@code singleTopic} says
     * the cursor depends on the event alone (cacheable), {@code replayed} that it comes from history
     * rather than live.
     */
    void write(Event event, String cursor, boolean singleTopic, boolean replayed);

    /** Writes a server notice; {@code cursor} is the subscription's position after it. */
    void write(Notice notice, String cursor);
}
