package dev.herald.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerUnavailableException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SharedTest {

    /**
     * The race Mutiny 3.1's memoize loses: a subscriber joins on one thread while the outcome arrives on
     * another. With memoize, chain(...) was sometimes handed the item before its subscription and applied its
     * function to its own result as well ("replay of replay of page"; in Hub a ClassCastException).
     */
    @Test
    void aSubscriberJoiningWhileTheOutcomeArrivesElsewhereGetsItOnceAndChainsOnce() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 5_000; i++) {
                AtomicReference<UniEmitter<? super String>> emitter = new AtomicReference<>();
                Shared<String> shared = Shared.of(Uni.createFrom().<String>emitter(emitter::set));
                shared.uni().subscribe().with(page -> { }); // an earlier subscriber, still waiting
                CountDownLatch go = new CountDownLatch(1);
                Future<?> answer = threads.submit(() -> {
                    go.await();
                    emitter.get().complete("page");
                    return null;
                });
                Future<String> joiner = threads.submit(() -> {
                    go.await();
                    return shared.uni().chain(page -> Uni.createFrom().item("replay of " + page))
                            .await().atMost(Duration.ofSeconds(5));
                });
                go.countDown();
                answer.get(5, TimeUnit.SECONDS);
                assertEquals("replay of page", joiner.get(5, TimeUnit.SECONDS), "round " + i);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void theSourceIsSubscribedOnceAndEverySubscriberGetsTheFailureAsItWas() {
        AtomicInteger subscriptions = new AtomicInteger();
        BrokerUnavailableException down = new BrokerUnavailableException("down");
        Shared<String> shared = Shared.of(Uni.createFrom().<String>failure(down).onSubscription().invoke(subscriptions::incrementAndGet));
        for (int i = 0; i < 3; i++) {
            Throwable seen = assertThrows(BrokerUnavailableException.class, () -> shared.uni().await().indefinitely());
            assertSame(down, seen, "not wrapped");
        }
        assertEquals(1, subscriptions.get());
        assertTrue(shared.failed());
    }

    @Test
    void aSubscriberThatCancelsLeavesTheOthersTheirOutcome() {
        AtomicReference<UniEmitter<? super String>> emitter = new AtomicReference<>();
        Shared<String> shared = Shared.of(Uni.createFrom().<String>emitter(emitter::set));
        AtomicReference<String> kept = new AtomicReference<>();
        Cancellable gone = shared.uni().subscribe().with(page -> { });
        shared.uni().subscribe().with(kept::set);
        gone.cancel();
        emitter.get().complete("page");
        assertEquals("page", kept.get());
        assertEquals("page", shared.uni().await().atMost(Duration.ofSeconds(1)));
    }
}
