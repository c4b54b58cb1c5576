package dev.herald.hub;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One topic's local subscriptions and the node's broker subscription for them ({@link Hub}'s bookkeeping). */
final class TopicSubscribers {
    final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    /** The node's subscription to the topic at the broker, shared by the local subscriptions. */
    Shared<Void> brokerSubscribed;
    /** Bumped each time the topic is left without subscriptions; a linger timer acts only on its own. */
    int emptied;

    boolean subscribeFailed() {
        return brokerSubscribed.failed();
    }
}
