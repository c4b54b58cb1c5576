package dev.herald.ops;

import dev.herald.config.HeraldConfig;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Graceful shutdown (README, "Operations"; docs/operations.md, "Rolling deploys, node drains and autoscaling"). On SIGTERM Quarkus fires {@link ShutdownDelayInitiatedEvent}
 * before it stops the HTTP server; this observer then, synchronously:
 * <ol>
 *   <li>turns readiness DOWN (so Kubernetes removes the pod from its Service endpoints), and from then on
 *   answers every HTTP request with {@code Connection: close};</li>
 *   <li>waits {@code herald.shutdown.drain-delay} while the endpoints update, still serving;</li>
 *   <li>stops accepting new subscriptions;</li>
 *   <li>tells every open connection to go, spread evenly over {@code herald.shutdown.spread}, each with
 *   a jittered reconnect delay so clients do not stampede the other pods;</li>
 *   <li>returns when the connections are gone; Quarkus then finishes in-flight requests (accepted
 *   publishes) and closes the broker.</li>
 * </ol>
 * This observer runs in Quarkus' pre-shutdown step, which waits for it without a timeout, so it bounds
 * itself to {@code quarkus.shutdown.timeout} minus a second. Quarkus then waits for in-flight requests
 * (bounded by the same timeout again); with every stream ended that wait is immediate, so the process
 * normally exits within {@code quarkus.shutdown.timeout} of the signal. Kubernetes'
 * {@code terminationGracePeriodSeconds} should exceed it.
 */
@ApplicationScoped
public class Drain {

    private static final Logger LOG = Logger.getLogger(Drain.class);

    private final Set<Drainable> connections = ConcurrentHashMap.newKeySet();
    private final Duration drainDelay;
    private final Duration spread;
    private final Duration retry;
    private final Duration budget;
    private volatile boolean shuttingDown;
    private volatile boolean accepting = true;

    public Drain(HeraldConfig config,
                 @ConfigProperty(name = "quarkus.shutdown.timeout", defaultValue = "30s") Duration shutdownTimeout) {
        this.drainDelay = config.shutdown().drainDelay();
        this.spread = config.shutdown().spread();
        this.retry = config.sse().retry();
        // Leave a second of the shutdown timeout for Quarkus' own steps.
        this.budget = shutdownTimeout.minusSeconds(1).isNegative() ? Duration.ZERO : shutdownTimeout.minusSeconds(1);
    }

    /** True from the first moment of shutdown (readiness reports DOWN). */
    public boolean shuttingDown() {
        return shuttingDown;
    }

    /** False once connections are being told to go: transports refuse new subscriptions with 503. */
    public boolean accepting() {
        return accepting;
    }

    public void register(Drainable connection) {
        connections.add(connection);
        if (!accepting) {
            // Accepted just before the drain began and opened after the others were told: tell it now.
            connection.goAway(jitteredRetry());
        }
    }

    /** The reconnect delay to hand a client that must go: the SSE retry plus a jitter within the spread. */
    public Duration jitteredRetry() {
        return retry.plusMillis(ThreadLocalRandom.current().nextLong(Math.max(1, spread.toMillis() + 1)));
    }

    public void unregister(Drainable connection) {
        connections.remove(connection);
    }

    public int openConnections() {
        return connections.size();
    }

    /**
     * While shutting down, every HTTP answer says {@code Connection: close}. A publisher with a pooled
     * keep-alive connection to this pod would otherwise go on sending to it after its endpoint is
     * removed (an established connection stays with its pod), until the server closes the connection
     * at exit, possibly under a request already sent: an answer lost for a publish the client cannot
     * tell stored or not. Told to close, the client opens its next connection through the Service, to
     * a pod that is ready. WebSocket upgrades keep their own {@code Connection: Upgrade}.
     */
    void install(@Observes Router router) {
        router.route().order(-3000).handler(ctx -> {
            if (shuttingDown && ctx.request().getHeader(HttpHeaders.UPGRADE) == null) {
                ctx.response().headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            }
            ctx.next();
        });
    }

    void onShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        drainNow();
    }

    /** Runs the drain; public for tests that cannot send a signal to their own JVM. */
    public void drainNow() {
        if (shuttingDown) {
            return;
        }
        shuttingDown = true;
        long deadline = System.nanoTime() + budget.toNanos();
        LOG.infof("shutting down: readiness DOWN, draining %d connection(s) after %s", connections.size(), drainDelay);
        sleepUntil(Math.min(deadline, System.nanoTime() + drainDelay.toNanos()));
        accepting = false;
        List<Drainable> toldToGo = new ArrayList<>(connections);
        long spreadNanos = Math.max(0, Math.min(spread.toNanos(), deadline - System.nanoTime() - 500_000_000L));
        long start = System.nanoTime();
        for (int i = 0; i < toldToGo.size(); i++) {
            sleepUntil(start + spreadNanos * i / Math.max(1, toldToGo.size()));
            toldToGo.get(i).goAway(jitteredRetry());
        }
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            sleepUntil(Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50)));
        }
        LOG.infof("drain finished, %d connection(s) left", connections.size());
    }

    private static void sleepUntil(long nanoTime) {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
