package dev.herald.hub;

import io.smallrye.mutiny.Uni;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One topic's local subscriptions and the node's broker subscription for them ({@link Hub}'s bookkeeping). */
final class TopicSubscribers {
    final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    Uni<Void> brokerSubscribed;
    volatile boolean subscribeFailed;
    /** Bumped each time the topic is left without subscriptions; a linger timer acts only on its own. */
    int emptied;
}
