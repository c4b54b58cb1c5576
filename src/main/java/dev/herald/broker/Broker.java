package dev.herald.broker;

import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * The storage and live fan-out behind Herald: every backend (memory, Redis) implements this, and one
 * contract test suite ({@code BrokerContractTest}) runs against each.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Ids</b>: {@link #publish} assigns each event an {@link EventId} strictly greater than every
 *   earlier id of its topic, on every node.</li>
 *   <li><b>Acknowledgement</b>: the returned {@code Uni} succeeds only once the event is stored; if it
 *   cannot be stored it fails with {@link BrokerUnavailableException} and the event is not
 *   delivered. A backend that cannot tell (the command was sent, the answer did not come) fails with
 *   {@link PublishOutcomeUnknownException} instead: the event may be stored and delivered.</li>
 *   <li><b>Live delivery</b>: while a node is {@link #subscribe subscribed} to a topic, every event
 *   stored after the subscribe {@code Uni} completed reaches the {@link BrokerListener} of that node,
 *   in id order per topic. An event may be delivered more than once (for example when a Redis broker
 *   fills a gap after a reconnect); the hub drops ids it has already delivered.</li>
 *   <li><b>History</b>: {@link #read} returns retained events after a position, oldest first, and
 *   says when events after that position were no longer retained ({@link HistoryPage#truncated}).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Every method may be called from any thread, including a Vert.x event loop, and never blocks.
 * The listener is called on a broker thread (the publishing thread in memory mode, a Redis I/O
 * thread in Redis mode) and must not block either.
 *
 * <h2>Subscriptions</h2>
 * The hub subscribes once per topic that has local subscribers (reference counted by the hub, not
 * the broker), and calls {@link #subscribe} and {@link #unsubscribe} for one topic in order, never
 * concurrently; the broker applies them in that order.
 *
 * <h2>After close</h2>
 * {@link #close} stops live delivery; publish and read fail with {@link BrokerUnavailableException}.
 */
public interface Broker {

    /** The backend's name, for metrics and logs: {@code memory} or {@code redis}. */
    String name();

    /** Sets the node's listener for live events. Called once, before the first {@link #subscribe}. */
    void setListener(BrokerListener listener);

    /**
     * Stores one event and delivers it live. A request with an idempotency key that was seen for the
     * same topic within the idempotency window stores nothing and answers with the original id and
     * {@code duplicate = true}.
     */
    Uni<PublishResult> publish(PublishRequest request);

    /**
     * Publishes several events, in order. Not atomic: when it fails part way, the events before the
     * failure are stored (clients retry with idempotency keys).
     */
    default Uni<List<PublishResult>> publishAll(List<PublishRequest> requests) {
        // One publish after the other, through a Multi: a chain of one Uni.chain per request nests a
        // stack frame group per request when publishes complete synchronously (memory broker), and a
        // batch of 1000 overflowed the worker's stack; Mutiny dropped the StackOverflowError and the
        // request never got an answer. transformToUniAndConcatenate keeps the order without recursion.
        return Multi.createFrom().iterable(requests)
                .onItem().transformToUniAndConcatenate(this::publish)
                .collect().asList();
    }

    /**
     * Retained events of {@code topic} with an id greater than {@code after}, oldest first, at most
     * {@code limit} of them. {@link EventId#ZERO} reads from the oldest retained event.
     */
    Uni<HistoryPage> read(Topic topic, EventId after, int limit);

    /** The id of the newest event ever stored in {@code topic} (retained or not), or ZERO. */
    Uni<EventId> head(Topic topic);

    /** Starts live delivery of {@code topic} to the listener; completes once it is in effect. */
    Uni<Void> subscribe(Topic topic);

    /** Stops live delivery of {@code topic}. */
    Uni<Void> unsubscribe(Topic topic);

    /** Whether the broker can take and deliver events right now (readiness). */
    Uni<Boolean> isAvailable();

    /** Who is in which topic, cluster-wide (join/leave notices go to the listener's {@code onPresence}). */
    PresenceStore presence();

    /** Stops live delivery and releases resources. Idempotent. */
    void close();
}
