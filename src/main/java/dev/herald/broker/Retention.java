package dev.herald.broker;

import java.time.Duration;

/**
 * How much history a broker keeps, and how long idempotency keys are remembered.
 *
 * @param maxEvents          events kept per topic
 * @param maxAge             events older than this are dropped
 * @param maxTopics          topics kept in memory (memory broker; idle ones are evicted beyond it)
 * @param idempotencyWindow  how long an idempotency key is remembered per topic
 * @param bytes              bounds in bytes, per topic and per node
 */
public record Retention(int maxEvents, Duration maxAge, int maxTopics, Duration idempotencyWindow, ByteLimits bytes) {

    public Retention {
        if (maxEvents < 1 || maxTopics < 1) {
            throw new IllegalArgumentException("maxEvents and maxTopics must be at least 1");
        }
        if (maxAge.isNegative() || maxAge.isZero() || idempotencyWindow.isNegative()) {
            throw new IllegalArgumentException("maxAge must be positive and idempotencyWindow not negative");
        }
    }

    /** With byte limits sized from this JVM's maximum heap ({@link ByteLimits#ofHeap}). */
    public Retention(int maxEvents, Duration maxAge, int maxTopics, Duration idempotencyWindow) {
        this(maxEvents, maxAge, maxTopics, idempotencyWindow, ByteLimits.ofHeap(ByteLimits.maxHeap()));
    }

    public Retention withBytes(ByteLimits limits) {
        return new Retention(maxEvents, maxAge, maxTopics, idempotencyWindow, limits);
    }

    /**
     * Bounds in bytes on what clients can make a broker hold: a topic's history is trimmed, oldest
     * first, to {@code perTopic} (both brokers); the memory broker evicts the oldest events of any
     * topic while all history on the node exceeds {@code perNode}, and forgets the oldest idempotency
     * keys while they exceed {@code idempotencyKeys}. What a byte is depends on where the broker keeps
     * it: estimated heap bytes in memory, estimated Redis memory in Redis.
     *
     * @param perTopic        history bytes per topic
     * @param perNode         memory broker: history bytes of all topics on this node
     * @param idempotencyKeys memory broker: bytes of idempotency keys remembered on this node
     */
    public record ByteLimits(long perTopic, long perNode, long idempotencyKeys) {

        /** Share of the heap for all history, of which one topic may take {@link #TOPIC_SHARE}. */
        static final int NODE_SHARE = 4;
        static final int TOPIC_SHARE = 64;
        static final int IDEMPOTENCY_SHARE = 32;

        public ByteLimits {
            if (perTopic < 1 || perNode < 1 || idempotencyKeys < 1) {
                throw new IllegalArgumentException("byte limits must be positive: per topic " + perTopic
                        + ", per node " + perNode + ", idempotency keys " + idempotencyKeys);
            }
        }

        /**
         * Defaults for a heap of {@code maxHeap} bytes: all history a quarter of it, one topic 1/64
         * (a sixteenth of the history), idempotency keys 1/32.
         */
        public static ByteLimits ofHeap(long maxHeap) {
            return new ByteLimits(maxHeap / TOPIC_SHARE, maxHeap / NODE_SHARE, maxHeap / IDEMPOTENCY_SHARE);
        }

        /** This JVM's maximum heap; 1 GiB when it has none ({@link Runtime#maxMemory()} unbounded). */
        public static long maxHeap() {
            long max = Runtime.getRuntime().maxMemory();
            return max == Long.MAX_VALUE ? 1L << 30 : max;
        }
    }
}
