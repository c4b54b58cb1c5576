package dev.herald.broker.memory;

import dev.herald.broker.BrokerMetrics;

/**
 * The node-wide bound on history. Each topic's bounds (events, age, bytes) multiply by the number of
 * topics, so a client allowed to publish to many topics could fill the heap with events of distinct
 * topics: every stored event of every topic is in one list here, oldest first, and while all of them
 * together cost more than the budget, the oldest event of any topic is evicted.
 *
 * <p>Cost: a link per stored event and an unlink per dropped one, each O(1) under this object's lock,
 * held for a few field writes. Eviction runs on the publishing thread after its publish, outside the
 * topic's lock, so the budget is exceeded by at most the publishes in flight.
 *
 * <p>Locks: a topic's history calls {@link #link} and {@link #unlink} under its own lock, and this
 * object's lock is taken inside it. {@link #enforce} takes a victim's topic lock while holding no
 * other lock, so the two are never taken in the opposite order.
 */
final class HistoryBudget {

    private final long maxBytes;
    private final BrokerMetrics metrics;
    /** Oldest and newest stored event of the node (guarded by this). */
    private StoredEvent oldest;
    private StoredEvent newest;
    /** Bytes of every linked event; written under this object's lock, read without. */
    private volatile long bytes;

    HistoryBudget(long maxBytes, BrokerMetrics metrics) {
        this.maxBytes = maxBytes;
        this.metrics = metrics;
        metrics.heldInMemory(MemoryBroker.NAME, "history", this::bytes, maxBytes);
    }

    long bytes() {
        return bytes;
    }

    BrokerMetrics metrics() {
        return metrics;
    }

    /** Appends a newly stored event as the node's newest. Called under its topic's lock. */
    synchronized void link(StoredEvent e) {
        e.older = newest;
        e.newer = null;
        if (newest != null) {
            newest.newer = e;
        } else {
            oldest = e;
        }
        newest = e;
        e.linked = true;
        bytes += e.cost;
    }

    /** Removes an event its topic dropped. Called under its topic's lock. */
    synchronized void unlink(StoredEvent e) {
        if (!e.linked) {
            return;
        }
        if (e.older != null) {
            e.older.newer = e.newer;
        } else {
            oldest = e.newer;
        }
        if (e.newer != null) {
            e.newer.older = e.older;
        } else {
            newest = e.older;
        }
        e.older = null;
        e.newer = null;
        e.linked = false;
        bytes -= e.cost;
    }

    /**
     * Evicts the node's oldest events, whatever their topic, until the history fits the budget again.
     * Must be called without holding a topic's lock.
     */
    void enforce() {
        while (bytes > maxBytes) {
            StoredEvent victim;
            synchronized (this) {
                victim = oldest;
                if (victim == null || bytes <= maxBytes) {
                    return;
                }
            }
            // The victim may be dropped by its topic meanwhile; then the next oldest is tried.
            int evicted = victim.owner.evictThrough(victim);
            if (evicted > 0) {
                metrics.historyEvicted(MemoryBroker.NAME, "node-bytes", evicted);
            }
        }
    }
}
