package dev.herald.jobs.nats;

import dev.herald.jobs.QueueName;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * This node's subscriptions (core NATS) to the notice subjects of the queues local workers wait on, one per
 * queue however many watch it. The client restores them after a reconnect; notices sent meanwhile are
 * lost, which only delays a lease: a waiting worker also polls.
 */
final class QueueWatches {

    private static final Logger LOG = Logger.getLogger(QueueWatches.class);

    private final JobSpace space;
    private final Map<QueueName, Integer> counts = new HashMap<>();
    private volatile Consumer<QueueName> listener = q -> {
    };
    private Dispatcher dispatcher;

    QueueWatches(JobSpace space) {
        this.space = space;
    }

    void setListener(Consumer<QueueName> listener) {
        this.listener = listener;
    }

    synchronized void watch(QueueName queue) {
        if (counts.merge(queue, 1, Integer::sum) > 1) {
            return;
        }
        try {
            if (dispatcher == null) {
                Connection conn = space.connection();
                dispatcher = conn.createDispatcher();
            }
            dispatcher.subscribe(space.noticeSubject(queue), m -> listener.accept(queue));
        } catch (RuntimeException e) {
            // Not connected: the waiting workers of this queue poll until the next watch.
            counts.remove(queue);
            LOG.debugf("notices of queue %s not watched: %s", queue, e.getMessage());
        }
    }

    synchronized void unwatch(QueueName queue) {
        Integer count = counts.get(queue);
        if (count == null) {
            return;
        }
        if (count > 1) {
            counts.put(queue, count - 1);
            return;
        }
        counts.remove(queue);
        if (dispatcher != null) {
            try {
                dispatcher.unsubscribe(space.noticeSubject(queue));
            } catch (RuntimeException e) {
                LOG.debugf("notices of queue %s not unwatched: %s", queue, e.getMessage());
            }
        }
    }

    synchronized void close() {
        counts.clear();
        if (dispatcher != null) {
            try {
                space.connection().closeDispatcher(dispatcher);
            } catch (RuntimeException e) {
                // the connection is gone, and the dispatcher with it
            }
            dispatcher = null;
        }
    }
}
