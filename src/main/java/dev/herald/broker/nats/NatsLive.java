package dev.herald.broker.nats;

import dev.herald.broker.BrokerListener;
import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.HeldEvents;
import dev.herald.broker.HistoryPage;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Live events of the topics with local subscribers: one core-NATS subscription per topic to its live
 * subject (and one to its presence subject), on one dispatcher. State is guarded by this object's lock;
 * the listener is called under it, in id order per topic.
 *
 * <p>Core NATS delivers at most once: a message is lost while the connection is down, or when the client
 * drops it as a slow consumer. Every event names its predecessor ({@link StoredEvent#prev}), so a gap is
 * seen at the next event; then, and after each reconnect, the topic's stream is read from the last event
 * delivered, and the live events that arrive meanwhile are held (bounded by {@code maxHeldBytes}, as on
 * Redis) and delivered after the missed ones. When the stream no longer reaches back that far, the listener
 * is told that the topic's history was lost.
 */
final class NatsLive {

    private static final Logger LOG = Logger.getLogger(NatsLive.class);
    private static final int FILL_PAGE = 500;
    private static final long RETRY_MS = 500;

    private static final class TopicState extends HeldEvents.Position {
        Subscription live;
        Subscription presence;
        boolean filling;

        TopicState(Topic topic) {
            super(topic);
        }
    }

    private final NatsBroker broker;
    private final NatsSubjects subjects;
    private final PublishLanes lanes;
    private final HeldEvents held;
    private final BrokerMetrics metrics;
    private final Map<String, TopicState> active = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "herald-nats-live");
        t.setDaemon(true);
        return t;
    });
    private volatile BrokerListener listener;
    private Dispatcher dispatcher;
    private boolean closed;

    NatsLive(NatsBroker broker, NatsSubjects subjects, PublishLanes lanes, long maxHeldBytes, BrokerMetrics metrics) {
        this.broker = broker;
        this.subjects = subjects;
        this.lanes = lanes;
        this.held = new HeldEvents(maxHeldBytes, "herald.nats.max-held-bytes", () -> listener);
        this.metrics = metrics;
    }

    void setListener(BrokerListener listener) {
        this.listener = listener;
    }

    /** The first connection: topics subscribed before it get their subscriptions now. */
    synchronized void connected(Connection conn) {
        if (closed || dispatcher != null) {
            return;
        }
        dispatcher = conn.createDispatcher();
        for (TopicState state : active.values()) {
            listen(state);
            gap(state);
        }
    }

    synchronized void disconnected() {
        for (TopicState state : active.values()) {
            held.hold(state);
        }
    }

    /** The client reconnected (and again once it resubscribed): fill what was published meanwhile. */
    synchronized void reconnected() {
        LOG.infof("NATS live subscriptions restored; filling gaps of %d topic(s)", active.size());
        for (TopicState state : active.values()) {
            gap(state);
        }
    }

    Uni<Void> subscribe(Topic topic) {
        TopicState state;
        CompletableFuture<Void> flushed;
        synchronized (this) {
            if (closed) {
                return Uni.createFrom().failure(new BrokerUnavailableException("the broker is closed"));
            }
            state = active.get(topic.name());
            if (state == null) {
                state = new TopicState(topic);
                active.put(topic.name(), state);
                if (dispatcher != null) {
                    listen(state);
                }
            }
            flushed = flush();
        }
        TopicState subscribed = state;
        // Once the server has the subscription (a round trip), every event stored from then on is
        // republished to it; the head read after that is where a gap fill would start.
        return Uni.createFrom().completionStage(() -> flushed.thenCompose(v -> broker.last(topic)).thenAccept(head -> {
            synchronized (this) {
                subscribed.startAt(head == null ? EventId.ZERO : head.id());
            }
        })).onFailure().transform(NatsConnection::unavailable)
                .ifNoItem().after(Duration.ofSeconds(5))
                .failWith(() -> new BrokerUnavailableException("the broker is unavailable; retry later"));
    }

    private CompletableFuture<Void> flush() {
        Connection conn = broker.connection().current();
        if (dispatcher == null || conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("the broker is unavailable; retry later"));
        }
        return CompletableFuture.runAsync(() -> {
            try {
                conn.flush(Duration.ofSeconds(5));
            } catch (Exception e) {
                throw NatsConnection.unavailable(e);
            }
        }, broker.connection().blocking());
    }

    synchronized Uni<Void> unsubscribe(Topic topic) {
        TopicState state = active.remove(topic.name());
        if (state != null) {
            held.drop(state);
            if (dispatcher != null) {
                if (state.live != null) {
                    dispatcher.unsubscribe(state.live);
                }
                if (state.presence != null) {
                    dispatcher.unsubscribe(state.presence);
                }
            }
        }
        return Uni.createFrom().voidItem();
    }

    synchronized void close() {
        closed = true;
        active.values().forEach(held::drop);
        active.clear();
        timer.shutdownNow();
    }

    private void listen(TopicState state) {
        state.live = dispatcher.subscribe(subjects.live(state.topic), m -> onLive(state, m));
        state.presence = dispatcher.subscribe(subjects.presence(state.topic), m -> onPresence(state, m));
    }

    private void onPresence(TopicState state, Message message) {
        BrokerListener l = listener;
        String type = message.getHeaders() == null ? null : message.getHeaders().getFirst(StoredEvent.TYPE);
        synchronized (this) {
            if (l == null || type == null || closed || active.get(state.topic.name()) != state) {
                return;
            }
            l.onPresence(state.topic, type, new String(message.getData(), StandardCharsets.UTF_8));
        }
    }

    private synchronized void onLive(TopicState state, Message message) {
        if (closed || active.get(state.topic.name()) != state) {
            return;
        }
        StoredEvent stored = StoredEvent.ofLive(message);
        if (stored == null) {
            return;
        }
        lanes.seen(state.topic.name(), stored.seq(), stored.cum());
        Event event = stored.toEvent(state.topic);
        long last = state.lastDelivered() == null ? -1 : StoredEvent.seqOf(state.lastDelivered());
        if (!state.holding() && last >= 0 && stored.seq() > last && stored.prev() > last) {
            // The predecessor of this event was never delivered: fill the gap from the stream first.
            held.hold(state);
        }
        if (!state.holding()) {
            held.deliver(state, event);
            return;
        }
        held.hold(state, event);
        if (state.holding() && !state.filling) {
            gap(state);
        }
    }

    /** Starts filling a topic's gap from the last event delivered, unless a fill is running. */
    private void gap(TopicState state) {
        held.hold(state);
        if (state.filling || closed) {
            return;
        }
        state.filling = true;
        fill(state, state.fillFrom(), 0);
    }

    private void fill(TopicState state, EventId from, int filled) {
        broker.readPage(state.topic, from, FILL_PAGE).whenComplete((page, failure) -> {
            synchronized (this) {
                if (closed || active.get(state.topic.name()) != state) {
                    return;
                }
                if (failure != null) {
                    LOG.debugf("gap fill of %s failed (%s); retrying", state.topic, failure.getMessage());
                    timer.schedule(() -> {
                        synchronized (this) {
                            if (!closed && active.get(state.topic.name()) == state) {
                                fill(state, state.fillFrom(), filled);
                            }
                        }
                    }, RETRY_MS, TimeUnit.MILLISECONDS);
                    return;
                }
                if (!state.holding()) { // gave up its gap meanwhile (too much held)
                    state.filling = false;
                    return;
                }
                afterPage(state, page, filled);
            }
        });
    }

    private void afterPage(TopicState state, HistoryPage page, int filled) {
        if (page.truncated() && !state.fillFrom().equals(EventId.ZERO)) {
            LOG.warnf("events of %s left the stream before they were delivered; its subscribers resynchronize",
                    state.topic);
            BrokerListener l = listener;
            if (l != null) {
                l.onHistoryLost(state.topic);
            }
        }
        for (Event e : page.events()) {
            held.deliver(state, e);
        }
        int total = filled + page.events().size();
        if (page.events().size() == FILL_PAGE) {
            fill(state, state.fillFrom(), total);
            return;
        }
        if (page.events().isEmpty()) {
            state.skipTo(page.head()); // nothing retained up to the head (lost: told above)
        }
        state.filling = false;
        if (total > 0) {
            metrics.gapFilled(NatsBroker.NAME, total);
        }
        held.resume(state);
    }
}
