package dev.herald.broker.nats;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Answers handed back on the caller's Vert.x context. The NATS client completes its futures on its own
 * threads, so whatever the caller chained on a read (the hub's replay into every resuming subscription
 * sharing it) would run there, beside the event loops, and hand each connection over to its event loop
 * afterwards. Redis answers arrive on an event loop; with this, NATS answers do too: on the context that
 * started the call (the subscriber's connection, for a resume). A caller without a context (a test, a
 * NATS thread) gets the answer on the client's thread, as before.
 */
final class CallerContext {

    private CallerContext() {
    }

    /** {@code call}'s result on the context that subscribes to the returned Uni, when it has one. */
    static <T> Uni<T> complete(Supplier<CompletableFuture<T>> call) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = Vertx.currentContext();
            CompletableFuture<T> future;
            try {
                future = call.get();
            } catch (RuntimeException e) {
                emitter.fail(e);
                return;
            }
            future.whenComplete((item, failure) -> {
                Throwable cause = failure instanceof CompletionException c && c.getCause() != null
                        ? c.getCause() : failure;
                if (context == null || Vertx.currentContext() == context) {
                    emit(emitter, item, cause);
                } else {
                    context.runOnContext(v -> emit(emitter, item, cause));
                }
            });
        });
    }

    private static <T> void emit(UniEmitter<? super T> emitter, T item, Throwable failure) {
        if (failure != null) {
            emitter.fail(failure);
        } else {
            emitter.complete(item);
        }
    }
}
