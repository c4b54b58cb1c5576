package dev.herald.transport;

import io.netty.util.internal.PlatformDependent;
import io.vertx.core.Context;
import io.vertx.core.impl.ContextInternal;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Wakes connections on their event loop in batches: a fan-out to k connections of one event loop
 * costs one task on that loop, not k. Each connection's own wake-up is deduplicated by its
 * subscription already; this removes the per-connection task (a lambda, a slot in the loop's task
 * queue and a dispatch through the context) from the delivery path, which the benchmark's profile
 * showed as a large share of the event loop's time.
 *
 * <p>Threads: {@link #wake} from any thread; the woken tasks run on the event loop, in order.
 */
public final class EventLoopWakeups {

    private static final Logger LOG = Logger.getLogger(EventLoopWakeups.class);
    private static final String KEY = EventLoopWakeups.class.getName();

    private final Context context;
    /** Multi-producer, single-consumer, no node allocated per element. */
    private final Queue<Runnable> ready = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    private EventLoopWakeups(Context context) {
        this.context = context;
    }

    /** The batcher of the event loop behind {@code context} (a request's duplicated context included). */
    public static EventLoopWakeups of(Context context) {
        ContextInternal root = ((ContextInternal) context).unwrap();
        return (EventLoopWakeups) root.contextData().computeIfAbsent(KEY, k -> new EventLoopWakeups(root));
    }

    /** Runs {@code task} on the event loop soon, together with the others woken meanwhile. */
    public void wake(Runnable task) {
        ready.add(task);
        if (scheduled.compareAndSet(false, true)) {
            context.runOnContext(v -> runReady());
        }
    }

    private void runReady() {
        // Cleared first: a wake that lands after the last poll below schedules the next pass.
        scheduled.set(false);
        Runnable task;
        while ((task = ready.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                // One connection's failure must not strand the others queued behind it.
                LOG.warn("wake-up task failed", e);
            }
        }
    }
}
