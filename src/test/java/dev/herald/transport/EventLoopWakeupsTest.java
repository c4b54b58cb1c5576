package dev.herald.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Wake-ups of one event loop run as one task, in order, and a large fan-out yields to the loop's other work. */
class EventLoopWakeupsTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void everyWokenTaskRunsOnceInOrderAndOtherWorkOfTheLoopRunsBetweenPasses() throws Exception {
        Context context = vertx.getOrCreateContext();
        EventLoopWakeups wakeups = EventLoopWakeups.of(context);
        int tasks = EventLoopWakeups.MAX_PER_PASS * 3 + 10;
        List<Integer> ran = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> otherWorkRanAfter = new CompletableFuture<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(v -> {
            for (int i = 0; i < tasks; i++) {
                int n = i;
                wakeups.wake(() -> {
                    ran.add(n);
                    if (n == 0) {
                        // Other work queued on the loop while the fan-out is under way (a publish, a read).
                        context.runOnContext(w -> otherWorkRanAfter.complete(ran.size()));
                    }
                    if (n == tasks - 1) {
                        done.complete(null);
                    }
                });
            }
        });
        done.get(10, TimeUnit.SECONDS);
        assertEquals(IntStream.range(0, tasks).boxed().toList(), ran, "every task once, in the order woken");
        int before = otherWorkRanAfter.get(10, TimeUnit.SECONDS);
        assertTrue(before < tasks, "the loop's other work ran before the fan-out finished: after " + before);
        assertTrue(before >= EventLoopWakeups.MAX_PER_PASS, "a pass runs up to the bound first: " + before);
        assertTrue(EventLoopWakeups.of(context) == wakeups, "one batcher per event loop");
    }
}
