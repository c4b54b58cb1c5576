package dev.herald.hub;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerListener;
import dev.herald.broker.HistoryPage;
import dev.herald.event.Cursor;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.tracing.Tracing;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The node-local registry of subscriptions. The node subscribes to the broker once per topic with at
 * least one local subscription (reference counted here), and fans each live event out to that
 * topic's subscriptions only: a publish to a topic with k local subscribers costs O(k).
 */
public final class Hub implements BrokerListener {

    private static final Logger LOG = Logger.getLogger(Hub.class);
    /** History is replayed in pages of this many events. */
    static final int REPLAY_PAGE = 500;

    private final Broker broker;
    private final HeraldMetrics metrics;
    private final int queueSize;
    private final int maxReplay;
    private final Duration linger;
    private final Timer timer;
    private final ConcurrentHashMap<Topic, TopicSubscribers> topics = new ConcurrentHashMap<>();
    private final SharedReads reads;
    private final Tracing tracing;

    /** Runs a task after a delay (the node's timer; tests drive their own). */
    @FunctionalInterface
    public interface Timer {
        void schedule(Duration delay, Runnable task);
    }

    /**
     * @param queueSize live events queued per subscription before it is dropped as a slow consumer
     * @param maxReplay events replayed to one resuming subscription at most (all its topics together);
     *                  topics beyond it get a {@code herald.reset}, so a reconnect storm cannot hold
     *                  unbounded history in memory
     */
    public Hub(Broker broker, HeraldMetrics metrics, int queueSize, int maxReplay) {
        this(broker, metrics, queueSize, maxReplay, Duration.ZERO, null);
    }

    /**
     * @param linger how long the node stays subscribed at the broker to a topic left without local
     *               subscriptions: a client that reconnects, or polls again, within it costs no broker
     *               unsubscribe and subscribe (a round trip to Redis each)
     * @param timer  runs the linger timeouts (unused when {@code linger} is zero)
     */
    public Hub(Broker broker, HeraldMetrics metrics, int queueSize, int maxReplay, Duration linger, Timer timer) {
        this(broker, metrics, queueSize, maxReplay, linger, timer, Tracing.OFF);
    }

    /** @param tracing records each traced event's fan-out on this node as one span */
    public Hub(Broker broker, HeraldMetrics metrics, int queueSize, int maxReplay, Duration linger, Timer timer,
               Tracing tracing) {
        this.broker = broker;
        this.reads = new SharedReads(broker);
        this.tracing = tracing;
        this.metrics = metrics;
        this.queueSize = queueSize;
        this.maxReplay = maxReplay;
        this.linger = timer == null ? Duration.ZERO : linger;
        this.timer = timer;
        broker.setListener(this);
    }

    /**
     * What a subscription takes: every event of its topics for as long as it stays ({@link #STREAM}),
     * those and the presence notices of its topics ({@link #WITH_PRESENCE}), or one page and then it
     * leaves (a long poll, {@link #page}).
     *
     * @param presence the subscription also gets the {@code herald.join} / {@code herald.leave} notices
     * @param page     the most deliveries the sink takes, or 0 for a subscription that stays
     */
    public record Options(boolean presence, int page) {

        public static final Options STREAM = new Options(false, 0);
        public static final Options WITH_PRESENCE = new Options(true, 0);

        /**
         * For a client that takes at most {@code page} deliveries and then ends the subscription: history
         * beyond the first {@code page} events is not read, and not a reset either, since the client comes
         * back from the position after what it took. A replay cut there fills the page, so no live event
         * (which would lie beyond the cut) can be delivered before the client leaves.
         */
        public static Options page(int page) {
            return new Options(false, page);
        }
    }

    /** As {@link #open(List, String, SubscriberSink, Options)} with {@link Options#STREAM}. */
    public Uni<Subscription> open(List<Topic> topicList, String cursorText, SubscriberSink sink) {
        return open(topicList, cursorText, sink, Options.STREAM);
    }

    /**
     * Opens a subscription: registers it for live events, then replays history after the cursor (or
     * starts from each topic's head when there is none), queuing a {@code herald.reset} notice for
     * topics whose history no longer reaches back to the cursor, then goes live. The returned
     * subscription has its {@link Subscription#initialCursor()} set; deliveries follow through the sink.
     *
     * @param cursorText the client's cursor, or null to start from now
     */
    public Uni<Subscription> open(List<Topic> topicList, String cursorText, SubscriberSink sink, Options options) {
        boolean presence = options.presence();
        int page = options.page();
        Subscription subscription = new Subscription(topicList, sink, queueSize, presence);
        Cursor cursor = null;
        boolean invalidCursor = false;
        if (cursorText != null) {
            try {
                cursor = Cursor.decode(cursorText);
            } catch (InvalidInputException e) {
                invalidCursor = true;
            }
        }
        Cursor from = cursor;
        boolean invalid = invalidCursor;
        return register(subscription)
                .chain(() -> startPositions(subscription.topics(), from, page, System.nanoTime()))
                .map(start -> {
                    subscription.start(start.positions);
                    List<Notice> notices = new ArrayList<>();
                    if (invalid) {
                        notices.add(reset(subscription.topics(), "invalid-cursor"));
                    } else {
                        if (!start.reset.isEmpty()) {
                            notices.add(reset(start.reset, "history-exceeded"));
                        }
                        if (!start.unknown.isEmpty()) {
                            notices.add(reset(start.unknown, "invalid-cursor"));
                        }
                    }
                    subscription.replay(notices, start.replay);
                    if (!start.replay.isEmpty()) {
                        metrics.eventsReplayed(start.replay.size());
                    }
                    if (!subscription.goLive()) {
                        dropSlowConsumer(subscription);
                    }
                    return subscription;
                })
                .onFailure().invoke(failure -> close(subscription));
    }

    private Notice reset(List<Topic> resetTopics, String reason) {
        metrics.resetSent(reason);
        String list = resetTopics.stream().map(t -> "\"" + t.name() + "\"").collect(Collectors.joining(","));
        return new Notice(Notice.RESET, "{\"topics\":[" + list + "],\"reason\":\"" + reason + "\"}");
    }

    private record Start(Map<Topic, EventId> positions, List<Topic> reset, List<Topic> unknown, List<Event> replay) {
    }

    private Uni<Start> startPositions(List<Topic> topicList, Cursor cursor, int page, long registeredAt) {
        Start start = new Start(new LinkedHashMap<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        Uni<Start> chain = Uni.createFrom().item(start);
        for (Topic topic : topicList) {
            EventId position = cursor == null ? null : cursor.positionOf(topic).orElse(null);
            if (position == null) {
                // No cursor: live from now. A cursor that does not name this topic (a topic added to the
                // subscription, or a forged cursor): live from now too, but said with a reset, so that
                // no cursor can skip events silently.
                boolean unnamed = cursor != null;
                chain = chain.chain(s -> broker.head(topic).map(head -> {
                    s.positions.put(topic, head);
                    if (unnamed) {
                        s.unknown.add(topic);
                    }
                    return s;
                }));
            } else {
                chain = chain.chain(s -> (page > 0 && s.replay.size() >= page
                        // The page is full already: this topic stays where the cursor put it.
                        ? Uni.createFrom().item(new Replay(List.of(), false, null))
                        : replayTopic(topic, position, new ArrayList<>(), null, registeredAt,
                                (page > 0 ? page : maxReplay) - s.replay.size(), page > 0))
                        .map(replay -> {
                            if (replay.truncated) {
                                s.reset.add(topic);
                                s.positions.put(topic, replay.head);
                            } else {
                                s.positions.put(topic, position);
                                s.replay.addAll(replay.events);
                            }
                            return s;
                        }));
            }
        }
        return chain;
    }

    private record Replay(List<Event> events, boolean truncated, EventId head) {
    }

    /**
     * Reads history after {@code from} page by page up to the head seen on the first page. More than
     * {@code budget} events count as truncated: the topic gets a reset instead of a replay.
     */
    private Uni<Replay> replayTopic(Topic topic, EventId from, List<Event> acc, EventId stopAt, long registeredAt,
                                    int budget, boolean cut) {
        return reads.read(topic, from, REPLAY_PAGE, registeredAt).chain(page -> {
            EventId target = stopAt == null ? page.head() : stopAt;
            if (page.truncated()) {
                return Uni.createFrom().item(new Replay(List.of(), true, page.head()));
            }
            if (acc.size() + page.events().size() > budget) {
                if (!cut) {
                    return Uni.createFrom().item(new Replay(List.of(), true, page.head()));
                }
                acc.addAll(page.events().subList(0, budget - acc.size()));
                return Uni.createFrom().item(new Replay(acc, false, page.head()));
            }
            acc.addAll(page.events());
            if (page.events().size() < REPLAY_PAGE || !lastId(page).isBefore(target)) {
                return Uni.createFrom().item(new Replay(acc, false, page.head()));
            }
            return replayTopic(topic, lastId(page), acc, target, registeredAt, budget, cut);
        });
    }

    private static EventId lastId(HistoryPage page) {
        return page.events().get(page.events().size() - 1).id();
    }

    private Uni<Void> register(Subscription subscription) {
        List<Uni<Void>> ready = new ArrayList<>();
        for (Topic topic : subscription.topics()) {
            TopicSubscribers ts = topics.compute(topic, (t, current) -> {
                if (current == null || (current.subscribeFailed() && current.subscriptions.isEmpty())) {
                    TopicSubscribers fresh = new TopicSubscribers();
                    fresh.brokerSubscribed = Shared.of(broker.subscribe(t));
                    current = fresh;
                }
                current.subscriptions.add(subscription);
                return current;
            });
            ready.add(ts.brokerSubscribed.uni());
        }
        metrics.subscriptionsAdded(subscription.topics().size());
        return Uni.join().all(ready).andFailFast().replaceWithVoid();
    }

    /** Removes a subscription (connection closed); unsubscribes the node from topics left without any. */
    public void close(Subscription subscription) {
        if (!subscription.markClosed()) {
            return;
        }
        for (Topic topic : subscription.topics()) {
            topics.computeIfPresent(topic, (t, current) -> {
                current.subscriptions.remove(subscription);
                if (!current.subscriptions.isEmpty()) {
                    return current;
                }
                if (!linger.isZero() && !current.subscribeFailed()) {
                    int emptied = ++current.emptied;
                    timer.schedule(linger, () -> expire(t, emptied));
                    return current;
                }
                unsubscribe(t);
                return null;
            });
        }
        metrics.subscriptionsRemoved(subscription.topics().size());
    }

    /** The linger of a topic left empty ran out: unsubscribe unless someone came back meanwhile. */
    private void expire(Topic topic, int emptied) {
        topics.computeIfPresent(topic, (t, current) -> {
            if (!current.subscriptions.isEmpty() || current.emptied != emptied) {
                return current;
            }
            unsubscribe(t);
            return null;
        });
    }

    private void unsubscribe(Topic topic) {
        broker.unsubscribe(topic).subscribe().with(ok -> { },
                failure -> LOG.debugf(failure, "unsubscribe from %s failed", topic));
    }

    @Override
    public void onEvent(Event event) {
        TopicSubscribers ts = topics.get(event.topic());
        if (ts == null) {
            return;
        }
        if (event.trace() == null) {
            fanOut(ts, event);
        } else {
            tracing.fanOut(event, () -> fanOut(ts, event));
        }
    }

    /** Offers a live event to the topic's subscriptions; answers how many took it. */
    private int fanOut(TopicSubscribers ts, Event event) {
        int delivered = 0;
        for (Subscription subscription : ts.subscriptions) {
            if (subscription.offer(event)) {
                delivered++;
            } else {
                dropSlowConsumer(subscription);
            }
        }
        return delivered;
    }

    @Override
    public void onPresence(Topic topic, String type, String data) {
        TopicSubscribers ts = topics.get(topic);
        if (ts == null) {
            return;
        }
        Notice notice = new Notice(type, data, topic);
        for (Subscription subscription : ts.subscriptions) {
            if (subscription.wantsPresence() && !subscription.offerNotice(notice)) {
                dropSlowConsumer(subscription);
            }
        }
    }

    @Override
    public void onHistoryLost(Topic topic) {
        TopicSubscribers ts = topics.get(topic);
        if (ts == null) {
            return;
        }
        for (Subscription subscription : List.copyOf(ts.subscriptions)) {
            close(subscription);
            subscription.sink().close(SubscriberSink.CloseReason.RESYNC);
        }
    }

    private void dropSlowConsumer(Subscription subscription) {
        close(subscription);
        subscription.sink().close(SubscriberSink.CloseReason.SLOW_CONSUMER);
    }

    /** The topics this node is subscribed to at the broker and their local subscriptions (0: lingering); a snapshot. */
    public Map<Topic, Integer> subscriptionsByTopic() {
        return topics.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().subscriptions.size()));
    }
}
