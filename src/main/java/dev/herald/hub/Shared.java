package dev.herald.hub;

import io.smallrye.mutiny.Uni;
import java.util.concurrent.CompletableFuture;

/**
 * The outcome of one subscription to a {@code Uni}, handed to any number of subscribers on any threads:
 * a broker read shared by the subscriptions that resume from one position, a topic's broker subscription
 * shared by its local subscribers.
 *
 * <p>In place of Mutiny's {@code memoize().indefinitely()}: in Mutiny 3.1 a subscriber that joins a
 * memoized {@code Uni} on one thread while its item arrives on another can be handed the item before its
 * own {@code onSubscribe}. Operators rely on that order; {@code chain(...)} then took the item of the
 * {@code Uni} its function returned for a second upstream item and applied its function to it (Hub's
 * replay failed with a {@code ClassCastException}: its own result taken for a page of history). Here each
 * subscriber gets a {@code Uni} of its own over a copy of the outcome: subscribed first, then given the
 * outcome; cancelling it cancels nothing shared.
 */
public final class Shared<T> {

    private final CompletableFuture<T> outcome = new CompletableFuture<>();

    /** Subscribes to {@code source} now. */
    public static <T> Shared<T> of(Uni<T> source) {
        Shared<T> shared = new Shared<>();
        shared.subscribeTo(source);
        return shared;
    }

    /** Not yet subscribed to anything: {@link #subscribeTo} gives it its outcome later. */
    public Shared() {
    }

    /** Subscribes to {@code source}, whose item or failure becomes this outcome. Call it once. */
    public void subscribeTo(Uni<T> source) {
        source.subscribe().with(outcome::complete, outcome::completeExceptionally);
    }

    /** The outcome, for one subscriber (a failure as it was, not wrapped). */
    public Uni<T> uni() {
        return Uni.createFrom().completionStage(outcome::copy);
    }

    /** Runs {@code action} once the outcome is there (at once if it is), on the thread that brings it. */
    public void whenDone(Runnable action) {
        outcome.whenComplete((item, failure) -> action.run());
    }

    /** True once the outcome is a failure. */
    public boolean failed() {
        return outcome.isCompletedExceptionally();
    }
}
