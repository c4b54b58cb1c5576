package dev.herald.jobs.http;

import dev.herald.config.HeraldConfig;
import dev.herald.jobs.JobMetrics;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.QueueName;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Reads the counts of the queues named in {@code herald.jobs.gauge-queues} every {@code gauge-interval} and
 * hands them to
 * the metrics (queue depth, oldest waiting age and dead letters to alert on: see the operations guide).
 */
@ApplicationScoped
public class QueueGauges {

    private static final Logger LOG = Logger.getLogger(QueueGauges.class);

    private volatile long timer = -1;

    void start(@Observes StartupEvent event, HeraldConfig config, JobStore store, JobMetrics metrics, Vertx vertx) {
        List<QueueName> queues = config.jobs().gaugeQueues().orElse(List.of()).stream().map(QueueName::of).toList();
        if (queues.isEmpty()) {
            return;
        }
        Runnable refresh = () -> queues.forEach(queue -> store.counts(queue).subscribe().with(metrics::queueObserved,
                failure -> LOG.debugf("counts of queue %s not read: %s", queue, failure.getMessage())));
        refresh.run();
        timer = vertx.setPeriodic(Math.max(100, config.jobs().gaugeInterval().toMillis()), id -> refresh.run());
    }

    /** No count is read once the node stops (the store may be closed, the container gone). */
    void stop(@Observes ShutdownEvent event, Vertx vertx) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
