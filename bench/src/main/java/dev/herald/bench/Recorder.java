package dev.herald.bench;

import org.HdrHistogram.Histogram;

/**
 * Counts deliveries and records their latency. Single-threaded: only the load generator's event loop
 * touches it (the main thread reads it through {@link Loop#call}).
 */
final class Recorder {

    /** Latency in microseconds, up to 10 minutes, 3 significant digits. */
    private Histogram latency = new Histogram(600_000_000L, 3);
    long deliveries;
    long notices;
    /** The receive time of the read being parsed (one clock read per socket read, not per event). */
    long now;

    /** One event received; {@code publishedAt} is the publisher's System.nanoTime() embedded in the data. */
    void delivered(long publishedAt) {
        deliveries++;
        long micros = (now - publishedAt) / 1000;
        latency.recordValue(Math.max(0, Math.min(micros, 600_000_000L)));
    }

    /** Starts a measured window: forgets the latencies and counts so far. */
    void reset() {
        latency = new Histogram(600_000_000L, 3);
        deliveries = 0;
        notices = 0;
    }

    Histogram latency() {
        return latency;
    }

    static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? -1 : Math.round(h.getValueAtPercentile(percentile) / 10.0) / 100.0;
    }
}
