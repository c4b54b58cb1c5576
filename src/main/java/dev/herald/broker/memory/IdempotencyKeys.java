package dev.herald.broker.memory;

import dev.herald.broker.BrokerMetrics;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The idempotency keys the node remembers, of every topic, in the order they were first seen. Every
 * key is remembered for the same window, so that order is also the order in which they expire: the
 * expired ones are forgotten from the front, O(1) amortized per publish. A client that sends a fresh
 * key with every publish (to one topic or to many) would otherwise make the node hold a key per
 * publish for the whole window: beyond {@code maxBytes} the oldest keys are forgotten early, and
 * counted.
 *
 * <p>A topic's lookup and remembering happen under that topic's lock (so two publishes with one key
 * cannot both store); this object's own lock only guards the map, briefly.
 */
final class IdempotencyKeys {

    /**
     * Heap bytes of a remembered key besides its characters, measured (64-bit JVM, compressed
     * references): the map entry (40) and its table slot (~8), the composite key (24), the key String
     * header (40), the remembered id and deadline (32) and the event id (32), rounded up.
     */
    static final int FIXED_COST = 180;

    private record Key(Topic topic, String key) {
    }

    private record Remembered(EventId id, long expiresAt, int cost) {
    }

    private final long maxBytes;
    private final BrokerMetrics metrics;
    private final LinkedHashMap<Key, Remembered> keys = new LinkedHashMap<>();
    /** Bytes of every remembered key; written under this object's lock. */
    private volatile long bytes;

    IdempotencyKeys(long maxBytes, BrokerMetrics metrics) {
        this.maxBytes = maxBytes;
        this.metrics = metrics;
        metrics.heldInMemory(MemoryBroker.NAME, "idempotency", this::bytes, maxBytes);
    }

    long bytes() {
        return bytes;
    }

    /** The id first published with this key in this topic, or null when it is not (or no longer) remembered. */
    synchronized EventId find(Topic topic, String key, long now) {
        forgetExpired(now);
        Remembered seen = keys.get(new Key(topic, key));
        return seen != null && seen.expiresAt() > now ? seen.id() : null;
    }

    /** Remembers a key until {@code expiresAt}, forgetting the oldest keys beyond the budget. */
    synchronized void remember(Topic topic, String key, EventId id, long expiresAt) {
        Key k = new Key(topic, key);
        // Keys are visible ASCII (checked by the publish API): one byte per character.
        Remembered r = new Remembered(id, expiresAt, FIXED_COST + key.length());
        // Put after a remove, so that a key remembered again moves to the end of the expiry order.
        Remembered before = keys.remove(k);
        if (before != null) {
            bytes -= before.cost();
        }
        keys.put(k, r);
        bytes += r.cost();
        int evicted = 0;
        Iterator<Remembered> oldest = keys.values().iterator();
        while (bytes > maxBytes && oldest.hasNext()) {
            bytes -= oldest.next().cost();
            oldest.remove();
            evicted++;
        }
        if (evicted > 0) {
            metrics.idempotencyKeysEvicted(MemoryBroker.NAME, evicted);
        }
    }

    synchronized int size() {
        return keys.size();
    }

    private void forgetExpired(long now) {
        Iterator<Remembered> oldest = keys.values().iterator();
        while (oldest.hasNext()) {
            Remembered r = oldest.next();
            if (r.expiresAt() > now) {
                return;
            }
            bytes -= r.cost();
            oldest.remove();
        }
    }
}
