package dev.herald.dev;

import dev.herald.config.HeraldConfig;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.http.JobReports;
import dev.herald.jobs.http.LeaseWaiters;
import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * A sample worker inside the dev node, for the demo page's jobs panel: takes the jobs of
 * {@code demo:jobs} as they arrive (a waiting lease, as an HTTP worker's), reports progress in five steps of
 * 400 ms and acknowledges each with a small result. Dev build profile only, like {@link DemoTicker}; off with
 * {@code herald.dev.demo-worker=false}. Real workers run beside your backend: see {@code examples/}.
 */
@ApplicationScoped
@IfBuildProfile("dev")
public class DemoWorker {

    static final QueueName QUEUE = QueueName.of("demo:jobs");
    private static final Logger LOG = Logger.getLogger(DemoWorker.class);
    private static final int STEPS = 5;
    private static final long STEP_MILLIS = 400;

    private final LeaseWaiters waiters;
    private final JobReports reports;
    private final HeraldConfig config;
    private final Vertx vertx;
    private Context context;
    private Runnable waiting;
    private volatile boolean stopped;

    public DemoWorker(LeaseWaiters waiters, JobReports reports, HeraldConfig config, Vertx vertx) {
        this.waiters = waiters;
        this.reports = reports;
        this.config = config;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        if (config.dev().demoWorker()) {
            context = vertx.getOrCreateContext();
            context.runOnContext(v -> next());
            LOG.info("Demo worker: works the jobs of demo:jobs (the demo page's jobs panel); "
                    + "herald.dev.demo-worker=false turns it off");
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        if (waiting != null) {
            context.runOnContext(v -> waiting.run());
        }
    }

    private void next() {
        if (stopped) {
            return;
        }
        waiting = waiters.lease(context, new LeaseRequest(QUEUE, 1, Duration.ofSeconds(30)), Duration.ofSeconds(25),
                jobs -> {
                    waiting = null;
                    jobs.forEach(job -> step(job, 1));
                    next();
                },
                failure -> {
                    waiting = null;
                    LOG.debugf("demo worker: no lease (%s); again in 1s", failure.getMessage());
                    vertx.setTimer(1000, id -> context.runOnContext(v -> next()));
                });
    }

    private void step(LeasedJob job, int step) {
        vertx.setTimer(STEP_MILLIS, id -> {
            if (step < STEPS) {
                reports.progress(job.id(), job.lease(), step * 100 / STEPS, "step " + step + " of " + STEPS, null)
                        .subscribe().with(s -> step(job, step + 1), f -> LOG.debugf("demo worker: %s", f.getMessage()));
            } else {
                String result = "{\"message\":\"done\",\"input\":" + job.data() + "}";
                reports.ack(job.id(), job.lease(), result).subscribe().with(s -> {
                }, f -> LOG.debugf("demo worker: %s", f.getMessage()));
            }
        });
    }
}
