package dev.herald.transport;

import io.netty.channel.SingleThreadEventLoop;
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

    /**
     * Connections drained in one pass at most; then the pass yields to the event loop's I/O (incoming
     * publishes, reads, accepts) and goes on in the next loop iteration. Without the bound, a fan-out
     * to thousands of connections held the loop for tens of milliseconds and publishes queued behind it.
     */
    static final int MAX_PER_PASS = 256;

    private void runReady() {
        int run = 0;
        while (true) {
            Runnable task = ready.poll();
            if (task == null) {
                // Cleared only when found empty (wakes meanwhile just queue); re-checked for a wake that
                // queued between the poll and the clear.
                scheduled.set(false);
                if (ready.isEmpty() || !scheduled.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                // One connection's failure must not strand the others queued behind it.
                LOG.warn("wake-up task failed", e);
            }
            if (++run == MAX_PER_PASS) {
                yieldToIo();
                return; // still scheduled: the continuation runs the rest
            }
        }
    }

    /**
     * Continues after the loop's next I/O: a task queued from here would run in the same round of
     * tasks (Netty checks its time budget only every 64 tasks), so the continuation is queued from a
     * tail task, which runs once the current round is over.
     */
    private void yieldToIo() {
        Runnable next = () -> context.runOnContext(v -> runReady());
        if (((ContextInternal) context).nettyEventLoop() instanceof SingleThreadEventLoop loop) {
            loop.executeAfterEventLoopIteration(next);
        } else {
            next.run();
        }
    }
}
