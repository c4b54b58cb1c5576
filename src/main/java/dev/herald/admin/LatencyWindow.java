package dev.herald.admin;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.util.Collection;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Quantiles of the delivery latency histogram over the interval between two calls, the way
 * Prometheus' {@code histogram_quantile} reads the same buckets: the cumulative bucket counts since the
 * last call, with linear interpolation inside the bucket that holds the quantile. Not thread-safe: one
 * sampler calls it.
 */
final class LatencyWindow {

    /** Bucket upper bound (ms) to cumulative count, summed over the timers, at the last call. */
    private TreeMap<Double, Double> previous = new TreeMap<>();

    /** The p50 and p99 (ms) of what was recorded since the last call; null entries when nothing was. */
    Double[] quantiles(Collection<Timer> timers) {
        TreeMap<Double, Double> now = new TreeMap<>();
        for (Timer timer : timers) {
            CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
            // Micrometer's Prometheus histograms count cumulatively (le); sum timers bucket by bucket.
            for (CountAtBucket b : buckets) {
                now.merge(b.bucket(TimeUnit.MILLISECONDS), b.count(), Double::sum);
            }
        }
        TreeMap<Double, Double> window = new TreeMap<>();
        now.forEach((le, count) -> window.put(le, Math.max(0, count - previous.getOrDefault(le, 0.0))));
        previous = now;
        return new Double[] {quantile(0.5, window), quantile(0.99, window)};
    }

    static Double quantile(double q, TreeMap<Double, Double> cumulative) {
        if (cumulative.isEmpty() || cumulative.lastEntry().getValue() <= 0) {
            return null;
        }
        double rank = q * cumulative.lastEntry().getValue();
        double lowerBound = 0;
        double lowerCount = 0;
        for (var bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= rank) {
                double inBucket = bucket.getValue() - lowerCount;
                double fraction = inBucket <= 0 ? 1 : (rank - lowerCount) / inBucket;
                return lowerBound + (bucket.getKey() - lowerBound) * fraction;
            }
            lowerBound = bucket.getKey();
            lowerCount = bucket.getValue();
        }
        return cumulative.lastKey();
    }
}
