package dev.herald.jobs.redis;

import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobIds;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Group commit for enqueues: the enqueues that reach one event loop in the same turn (the requests its
 * last read of the sockets brought) go to Redis in one script call per hash tag, sent when the loop has
 * handled them all. Each enqueue is answered as if it had been sent alone; nothing waits for a timer, so a
 * lone enqueue goes out as soon as its turn ends, as it did before. Under load, several producers'
 * enqueues share one call: one round trip, one script run, and the queue's stream checked and its count
 * raised once (its waiting workers still get a notice per job, see {@code jobs.lua}).
 *
 * <p>Threads: {@link #add} from any thread; batching only on an event loop (elsewhere each enqueue is
 * sent alone). A batch belongs to its event loop and is only touched there.
 */
final class EnqueueBatches {

    /** Jobs in one script call at most (Redis runs a script alone: this bounds the time it holds the server). */
    static final int MAX_PER_CALL = 100;

    private final Function<List<EnqueueRequest>, Uni<List<Enqueued>>> send;

    /**
     * @param send stores jobs of one hash tag in one call, in order, answering one result per job in the
     *             same order
     */
    EnqueueBatches(Function<List<EnqueueRequest>, Uni<List<Enqueued>>> send) {
        this.send = send;
    }

    /** Stores {@code request}, together with the others of this event loop's turn. */
    Uni<Enqueued> add(EnqueueRequest request) {
        return Uni.createFrom().deferred(() -> {
            ContextInternal loop = currentLoop();
            if (loop == null) {
                return send.apply(List.of(request)).map(results -> results.get(0));
            }
            Turn turn = (Turn) loop.contextData().computeIfAbsent(this, k -> new Turn(loop));
            return Uni.createFrom().emitter(emitter -> turn.add(request, emitter));
        });
    }

    /** The event loop the caller runs on (its root context, not a request's duplicate), or null off a loop. */
    private static ContextInternal currentLoop() {
        Context context = Vertx.currentContext();
        if (context == null || !Context.isOnEventLoopThread()
                || !((ContextInternal) context).nettyEventLoop().inEventLoop()) {
            return null;
        }
        return ((ContextInternal) context).unwrap();
    }

    private record Waiting(EnqueueRequest request, UniEmitter<? super Enqueued> emitter) {
    }

    /** The enqueues of one event loop not yet sent, by hash tag. */
    private final class Turn {
        private final ContextInternal loop;
        private Map<String, List<Waiting>> byTag = new LinkedHashMap<>();
        private boolean scheduled;

        Turn(ContextInternal loop) {
            this.loop = loop;
        }

        void add(EnqueueRequest request, UniEmitter<? super Enqueued> emitter) {
            byTag.computeIfAbsent(JobIds.tagOf(request.id()), t -> new ArrayList<>()).add(new Waiting(request, emitter));
            if (!scheduled) {
                scheduled = true;
                // A task on the loop runs after the I/O events of its current pass: every request read in this
                // pass has been handled, and has added its enqueue, by then.
                loop.runOnContext(v -> flush());
            }
        }

        private void flush() {
            scheduled = false;
            Map<String, List<Waiting>> due = byTag;
            byTag = new LinkedHashMap<>();
            for (List<Waiting> tagged : due.values()) {
                for (int from = 0; from < tagged.size(); from += MAX_PER_CALL) {
                    call(tagged.subList(from, Math.min(tagged.size(), from + MAX_PER_CALL)));
                }
            }
        }

        private void call(List<Waiting> waiting) {
            List<EnqueueRequest> requests = new ArrayList<>(waiting.size());
            for (Waiting w : waiting) {
                requests.add(w.request());
            }
            Uni.createFrom().deferred(() -> send.apply(requests)).subscribe().with(results -> {
                for (int i = 0; i < waiting.size(); i++) {
                    waiting.get(i).emitter().complete(results.get(i));
                }
            }, failure -> waiting.forEach(w -> w.emitter().fail(failure)));
        }
    }
}
