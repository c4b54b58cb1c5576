package dev.herald.auth;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens already verified, so that a sidecar that sends the same token with thousands of publishes (or
 * the thousands of streams of one page load) pays for the signature check once: a verification costs
 * tens of microseconds and a hop to a worker thread, a hit one hash lookup on the event loop.
 *
 * <p>An entry lives until its token expires ({@code exp}, or {@code iat} plus the configured maximum
 * token age), and never across a change of verification keys: {@link #clear} (called when the keys
 * change) drops every entry, so a token whose key was removed from the set is refused from the next
 * request on. Only tokens that verified are kept; a refusal is never cached. The map is bounded: when
 * it is full, expired entries go first, then arbitrary ones, down to nine tenths of the capacity (an
 * evicted token just verifies again).
 *
 * <p>Thread-safe, non-blocking.
 */
final class TokenCache {

    private record Entry(Principal principal, long validUntilMillis, long generation) {
    }

    private final int capacity;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** Bumped by {@link #clear}: entries of an older generation are never returned. */
    private volatile long generation;

    /** @param capacity tokens kept at most; 0 turns the cache off */
    TokenCache(int capacity) {
        this.capacity = Math.max(0, capacity);
    }

    /** The principal of a verified token still valid at {@code nowMillis}, or null. */
    Principal get(String token, long nowMillis) {
        Entry entry = entries.get(token);
        if (entry == null) {
            return null;
        }
        if (entry.generation != generation || nowMillis >= entry.validUntilMillis) {
            entries.remove(token, entry);
            return null;
        }
        return entry.principal;
    }

    /**
     * Remembers a verified token until {@code validUntilMillis}. {@code generationAtVerification} is the
     * value of {@link #generation()} read before the token was verified: a verification that raced a
     * key change is not cached (it may have used the old keys).
     */
    void put(String token, Principal principal, long validUntilMillis, long generationAtVerification, long nowMillis) {
        if (capacity == 0 || validUntilMillis <= nowMillis || generationAtVerification != generation) {
            return;
        }
        if (entries.size() >= capacity) {
            shrink(nowMillis);
        }
        entries.put(token, new Entry(principal, validUntilMillis, generationAtVerification));
        if (generationAtVerification != generation) {
            entries.remove(token);
        }
    }

    long generation() {
        return generation;
    }

    /** Forgets every token (the verification keys changed). */
    synchronized void clear() {
        generation++;
        entries.clear();
    }

    int size() {
        return entries.size();
    }

    private synchronized void shrink(long nowMillis) {
        if (entries.size() < capacity) {
            return;
        }
        int target = capacity - Math.max(1, capacity / 10);
        entries.values().removeIf(e -> nowMillis >= e.validUntilMillis || e.generation != generation);
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (entries.size() > target && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
