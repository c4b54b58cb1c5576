package dev.herald.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The admin page's latency quantiles read the same histogram buckets Prometheus gets, per interval. */
class LatencyWindowTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private Timer timer(String transport) {
        return Timer.builder("herald.delivery.latency").tag("transport", transport).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    @Test
    void quantilesCoverWhatWasRecordedSinceTheLastReadOnly() {
        Timer sse = timer("sse");
        Timer ws = timer("ws");
        LatencyWindow window = new LatencyWindow();
        Double[] none = window.quantiles(List.of(sse, ws));
        assertNull(none[0]);
        assertNull(none[1]);

        for (int i = 1; i <= 100; i++) {
            (i % 2 == 0 ? sse : ws).record(i, TimeUnit.MILLISECONDS);
        }
        Double[] first = window.quantiles(List.of(sse, ws));
        // Within the bucket that holds them (Micrometer's buckets grow by about a third).
        assertEquals(50, first[0], 50 * 0.35);
        assertEquals(99, first[1], 99 * 0.35);

        for (int i = 0; i < 100; i++) {
            sse.record(2000, TimeUnit.MILLISECONDS);
        }
        Double[] second = window.quantiles(List.of(sse, ws));
        assertEquals(2000, second[0], 2000 * 0.35, "only the new recordings count");
        assertNull(window.quantiles(List.of(sse, ws))[1], "nothing recorded since: no quantile");
    }
}
