package dev.herald.broker.memory;

import dev.herald.event.Event;

/**
 * An event in a topic's history, with what it costs the heap, linked into the node's list of all
 * stored events (oldest first) that {@link HistoryBudget} evicts from.
 */
final class StoredEvent {

    /**
     * Heap bytes of a stored event besides its characters, measured on a 64-bit JVM with compressed
     * references: the Event (48), its encodings array (72), EventId (32), the type String (~48), the
     * data and envelope String headers (2 × 40), this node (32) and its history slot (~4); 636
     * bytes measured for an event with 100 bytes of data, of which 300 are characters.
     */
    static final int FIXED_COST = 336;
    /**
     * An event delivered live keeps the encodings its transports cached on it for as long as it is
     * retained. Measured: a single-topic SSE stream adds two envelopes of heap (frame and tail) plus
     * about 300 bytes (cursor, buffer objects), a multi-topic stream one envelope, a WebSocket one
     * envelope plus 300 bytes; the raw SSE chunk and WebSocket frame also hold one envelope of direct
     * memory each. Charged as two envelopes and 256 bytes.
     */
    static final int DELIVERED_COPIES = 2;
    static final int DELIVERED_FIXED_COST = 256;

    final Event event;
    final TopicHistory owner;
    final long cost;
    /** Neighbours in the node's list, and whether this is in it; guarded by the {@link HistoryBudget}. */
    StoredEvent older;
    StoredEvent newer;
    boolean linked;

    StoredEvent(Event event, TopicHistory owner, boolean delivered) {
        this.event = event;
        this.owner = owner;
        this.cost = costOf(event, delivered);
    }

    /**
     * Heap bytes of an event: the characters of its data and its envelope (which repeats the data), one
     * byte each when every character is Latin-1 (Java's compact strings), else two; plus the fixed part.
     */
    static long costOf(Event event, boolean delivered) {
        long chars = event.data().length() + (long) event.envelope().length() * (delivered ? 1 + DELIVERED_COPIES : 1);
        return FIXED_COST + (delivered ? DELIVERED_FIXED_COST : 0) + (isLatin1(event.data()) ? chars : 2 * chars);
    }

    private static boolean isLatin1(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0xFF) {
                return false;
            }
        }
        return true;
    }
}
