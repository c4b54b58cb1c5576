package dev.herald.broker.nats;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerListener;
import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PresenceStore;
import dev.herald.broker.PublishOutcomeUnknownException;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.nats.client.JetStreamApiException;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * The NATS JetStream broker: any number of Herald nodes on one NATS server or cluster act as one gateway,
 * with the same guarantees as on Redis.
 *
 * <ul>
 *   <li>History: one stream ({@code herald.nats.stream}) captures {@code <prefix>.h.*}, one subject per
 *   topic ({@link NatsSubjects}), with per-subject limits: {@code MaxMsgsPerSubject} = max-events,
 *   {@code MaxAge} = max-age. The stream sequence is the event id. The per-topic byte bound is applied
 *   on reading, from the byte counts the events carry ({@link StoredEvent}).</li>
 *   <li>Publish: a JetStream publish naming the topic's last sequence ({@link PublishLanes}); 202 means
 *   the stream (a quorum of its replicas) stored it. Idempotency keys become {@code Nats-Msg-Id}, so the
 *   stream's duplicate window is the idempotency window.</li>
 *   <li>Live: the stream republishes each stored event on {@code <prefix>.l.<topic>}; each node
 *   subscribes (core NATS) to the topics with local subscribers ({@link NatsLive}), notices a missed
 *   event by its predecessor's sequence, and fills gaps from the stream.</li>
 *   <li>Threads: the NATS client completes requests on its own threads; a history read or head answers
 *   on the Vert.x context that asked ({@link CallerContext}), so what the caller chains on it runs on
 *   its event loop, as with Redis.</li>
 * </ul>
 * A request NATS did not take fails with {@link BrokerUnavailableException} (503); a publish sent but
 * not acknowledged in time with {@link PublishOutcomeUnknownException} (504).
 */
public final class NatsBroker implements Broker {

    static final String NAME = "nats";
    private static final Logger LOG = Logger.getLogger(NatsBroker.class);
    /** JetStream's "wrong last sequence": the tail named by a publish is stale. */
    private static final int WRONG_LAST_SEQUENCE = 10071;
    /** Events of a page read by direct gets before the rest is read through a {@link HistoryReplay}. */
    private static final int DIRECT_READS = 8;

    private final NatsBrokerSettings settings;
    private final NatsSubjects subjects;
    private final BrokerMetrics metrics;
    private final NatsConnection nats;
    private final PublishLanes lanes;
    private final NatsLive live;
    private final NatsPresence presence;
    private final HistoryReplay replay;
    private final String msgGet;
    private volatile boolean closed;

    public NatsBroker(NatsBrokerSettings settings, BrokerMetrics metrics) {
        this.settings = settings;
        this.subjects = new NatsSubjects(settings.subjectPrefix());
        this.metrics = metrics;
        this.msgGet = "$JS.API.STREAM.MSG.GET." + settings.stream();
        this.lanes = new PublishLanes(new PublishLanes.Sender() {
            @Override
            public CompletableFuture<PublishResult> send(PublishRequest request, PublishLanes.Tail tail) {
                return store(request, tail);
            }

            @Override
            public CompletableFuture<PublishLanes.Tail> fetchTail(PublishRequest request) {
                return last(request.topic()).thenApply(e -> e == null ? PublishLanes.Tail.EMPTY
                        : new PublishLanes.Tail(e.seq(), e.cum()));
            }
        });
        this.live = new NatsLive(this, subjects, lanes, settings.maxHeldBytes(), metrics);
        this.nats = new NatsConnection(settings, subjects, metrics, live);
        this.presence = new NatsPresence(nats, subjects, settings.presenceTtl());
        this.replay = new HistoryReplay(nats, settings.stream(), settings.requestTimeout(), metrics);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void setListener(BrokerListener listener) {
        live.setListener(listener);
    }

    @Override
    public PresenceStore presence() {
        return presence;
    }

    @Override
    public Uni<PublishResult> publish(PublishRequest request) {
        if (closed) {
            return Uni.createFrom().failure(new BrokerUnavailableException("the broker is closed"));
        }
        return Uni.createFrom().completionStage(() -> lanes.publish(request));
    }

    /** One JetStream publish of {@code request} after {@code tail}. */
    private CompletableFuture<PublishResult> store(PublishRequest request, PublishLanes.Tail tail) {
        Topic topic = request.topic();
        byte[] data = request.data().getBytes(StandardCharsets.UTF_8);
        Headers headers = new Headers()
                .put(StoredEvent.TYPE, request.type())
                .put(StoredEvent.TS, String.valueOf(System.currentTimeMillis()))
                .put(StoredEvent.CUM, String.valueOf(tail.cum() + StoredEvent.cost(request.type(), data.length)))
                .put(StoredEvent.PREV, String.valueOf(tail.seq()));
        if (request.idempotencyKey() != null) {
            headers.put(StoredEvent.MSG_ID, NatsSubjects.messageId(topic, request.idempotencyKey()));
        }
        if (request.trace() != null) {
            headers.put(StoredEvent.TRACE, request.trace());
        }
        NatsMessage message = NatsMessage.builder().subject(subjects.history(topic)).headers(headers).data(data).build();
        long start = System.nanoTime();
        return nats.jetStream()
                .thenCompose(js -> js.publishAsync(message))
                .orTimeout(settings.publishTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .handle((ack, failure) -> {
                    metrics.brokerCommand(NAME, "publish", System.nanoTime() - start);
                    if (failure == null) {
                        return new PublishResult(topic, StoredEvent.id(ack.getSeqno()), ack.isDuplicate());
                    }
                    throw publishFailure(topic, PublishLanes.unwrap(failure));
                });
    }

    private RuntimeException publishFailure(Topic topic, Throwable cause) {
        if (cause instanceof JetStreamApiException api && api.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
            return new PublishLanes.StaleTail(cause);
        }
        if (cause instanceof BrokerUnavailableException unavailable) {
            return unavailable; // not sent: no connection
        }
        LOG.debugf("publish to %s failed: %s", topic, cause.toString());
        if (cause instanceof JetStreamApiException || NatsConnection.noResponders(cause)) {
            // NATS answered with an error, or nobody took the message: nothing was stored.
            nats.checkStream();
            return new BrokerUnavailableException("the broker is unavailable; retry later", cause);
        }
        if (cause instanceof TimeoutException || cause instanceof java.util.concurrent.CancellationException) {
            metrics.publishOutcomeUnknown(NAME);
        }
        return new PublishOutcomeUnknownException("NATS did not acknowledge in time; the event may or may not be "
                + "stored: retry with the same Idempotency-Key", cause);
    }

    @Override
    public Uni<HistoryPage> read(Topic topic, EventId after, int limit) {
        return CallerContext.complete(() -> readPage(topic, after, limit));
    }

    CompletableFuture<HistoryPage> readPage(Topic topic, EventId after, int limit) {
        long afterSeq = StoredEvent.seqOf(after);
        return last(topic).thenCompose(head -> {
            if (head == null) {
                return page(List.of(), !after.equals(EventId.ZERO), EventId.ZERO);
            }
            if (afterSeq < 0 || afterSeq >= head.seq()) {
                return page(List.of(), afterSeq != head.seq(), head.id());
            }
            long perTopic = settings.retention().bytes().perTopic();
            return next(topic, afterSeq + 1).thenCompose(first -> {
                if (first == null) { // the head expired meanwhile
                    return page(List.of(), true, head.id());
                }
                // The first event after the position names a predecessor after the position when events
                // in between were trimmed; and it must be within the byte bound. A predecessor before the
                // position is no loss: the position is not an event of the topic, or it and the first one
                // were stored at once naming the same predecessor (a JetStream cluster of nats-server before
                // 2.9.21 can store two publishes that expect one last sequence, nats-server#4320).
                boolean truncated = first.prev() > afterSeq;
                return retained(topic, first, head, perTopic).thenCompose(from -> {
                    if (from == null) {
                        return page(List.of(), true, head.id());
                    }
                    List<Event> events = new ArrayList<>(Math.min(limit, 128));
                    return collect(topic, from, head.seq(), limit, events)
                            .thenCompose(v -> page(events, truncated || from != first, head.id()));
                });
            });
        });
    }

    /** The first event from {@code e} on that the byte bound keeps (the newest events within it), or null. */
    private CompletableFuture<StoredEvent> retained(Topic topic, StoredEvent e, StoredEvent head, long perTopic) {
        CompletableFuture<StoredEvent> done = new CompletableFuture<>();
        walk(topic, e, head.seq(), done, n -> head.cum() - n.cumBefore() <= perTopic ? n : null);
        return done;
    }

    /**
     * Up to {@code limit} events from {@code e} to the head: the first few by direct gets (a short gap
     * fill costs no more than that), the rest, if any, in one {@link HistoryReplay}; should that fail, by
     * direct gets again.
     */
    private CompletableFuture<Void> collect(Topic topic, StoredEvent e, long headSeq, int limit, List<Event> into) {
        CompletableFuture<StoredEvent> done = new CompletableFuture<>();
        int direct = Math.min(limit, DIRECT_READS);
        walk(topic, e, headSeq, done, n -> {
            into.add(n.toEvent(topic));
            return into.size() >= direct ? n : null;
        });
        return done.thenCompose(stop -> {
            if (stop == null || into.size() >= limit || stop.seq() >= headSeq) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            int rest = limit - into.size();
            return replay.read(subjects.history(topic), stop.seq() + 1, headSeq, rest)
                    .thenAccept(events -> events.forEach(n -> into.add(n.toEvent(topic))))
                    .exceptionallyCompose(failure -> {
                        LOG.debugf("replay of %s failed (%s); reading it event by event", topic, failure.toString());
                        return next(topic, stop.seq() + 1).thenCompose(n -> n == null
                                ? CompletableFuture.<Void>completedFuture(null)
                                : walkAll(topic, n, headSeq, limit, into));
                    });
        });
    }

    private CompletableFuture<Void> walkAll(Topic topic, StoredEvent e, long headSeq, int limit, List<Event> into) {
        CompletableFuture<StoredEvent> done = new CompletableFuture<>();
        walk(topic, e, headSeq, done, n -> {
            into.add(n.toEvent(topic));
            return into.size() >= limit ? n : null;
        });
        return done.thenApply(x -> null);
    }

    /**
     * Visits the topic's events from {@code e} on, one request each, until {@code visit} returns non-null
     * (the result) or the head was visited (null). Each step continues from the answer's callback, so a
     * long walk does not deepen the stack.
     */
    private void walk(Topic topic, StoredEvent e, long headSeq, CompletableFuture<StoredEvent> done,
                      java.util.function.Function<StoredEvent, StoredEvent> visit) {
        StoredEvent result = visit.apply(e);
        if (result != null || e.seq() >= headSeq) {
            done.complete(result);
            return;
        }
        next(topic, e.seq() + 1).whenComplete((n, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else if (n == null) {
                done.complete(null);
            } else {
                walk(topic, n, headSeq, done, visit);
            }
        });
    }

    private static CompletableFuture<HistoryPage> page(List<Event> events, boolean truncated, EventId head) {
        return CompletableFuture.completedFuture(new HistoryPage(events, truncated, head));
    }

    @Override
    public Uni<EventId> head(Topic topic) {
        return CallerContext.complete(() -> last(topic).thenApply(e -> e == null ? EventId.ZERO : e.id()));
    }

    /** The topic's newest stored event, or null. */
    CompletableFuture<StoredEvent> last(Topic topic) {
        return get("{\"last_by_subj\":\"" + subjects.history(topic) + "\"}");
    }

    /** The topic's first stored event at or after {@code seq}, or null. */
    private CompletableFuture<StoredEvent> next(Topic topic, long seq) {
        return get("{\"seq\":" + seq + ",\"next_by_subj\":\"" + subjects.history(topic) + "\"}");
    }

    private CompletableFuture<StoredEvent> get(String request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("the broker is closed"));
        }
        long start = System.nanoTime();
        return nats.request(msgGet, request.getBytes(StandardCharsets.UTF_8)).handle((answer, failure) -> {
            metrics.brokerCommand(NAME, "get", System.nanoTime() - start);
            if (failure != null) {
                throw NatsConnection.unavailable(PublishLanes.unwrap(failure));
            }
            try {
                return StoredEvent.ofGet(answer.getData());
            } catch (java.io.IOException e) {
                nats.checkStream();
                throw NatsConnection.unavailable(e);
            }
        });
    }

    @Override
    public Uni<Void> subscribe(Topic topic) {
        return live.subscribe(topic);
    }

    @Override
    public Uni<Void> unsubscribe(Topic topic) {
        return live.unsubscribe(topic);
    }

    @Override
    public Uni<Boolean> isAvailable() {
        if (closed) {
            return Uni.createFrom().item(false);
        }
        return Uni.createFrom().completionStage(nats::streamReady);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        live.close();
        nats.close();
    }

    NatsConnection connection() {
        return nats;
    }

    /**
     * The node's NATS connection, for a part that keeps its own streams and buckets beside the broker's
     * (the job store); fails with {@link BrokerUnavailableException} while not connected or once closed.
     */
    public io.nats.client.Connection natsConnection() {
        io.nats.client.Connection conn = nats.current();
        if (closed || conn == null || conn.getStatus() != io.nats.client.Connection.Status.CONNECTED) {
            throw new BrokerUnavailableException("the broker is unavailable; retry later");
        }
        return conn;
    }

    /** Where blocking client calls run (virtual threads), never a caller's thread. */
    public java.util.concurrent.Executor blockingExecutor() {
        return nats.blocking();
    }

    public NatsBrokerSettings settings() {
        return settings;
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
