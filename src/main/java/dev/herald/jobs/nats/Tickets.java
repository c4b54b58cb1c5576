package dev.herald.jobs.nats;

import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.nats.NatsBrokerSettings;
import dev.herald.jobs.QueueName;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * The tickets of the job stream ({@link JobSpace}): storing one, fetching a queue's due ones through its
 * durable pull consumer, and moving one through its acknowledgement subject, which any node may use. The
 * consumer's ack wait only covers a node that died holding fetched tickets; a lease's length is a
 * delayed NAK. Calls block: they run on the broker's blocking executor.
 */
final class Tickets {

    private static final Logger LOG = Logger.getLogger(Tickets.class);
    /** A fetched ticket not given back within this (its node died) is delivered again. */
    static final Duration TICKET_ACK_WAIT = Duration.ofMinutes(1);
    /**
     * How long the server keeps a fetch that found no due ticket at once. Without an expiry, a fetch that
     * the consumer thought it could serve (tickets pending) but that others served first could wait
     * forever on NATS 2.9 and take tickets meant for later fetches; with one, a fetch finding nothing
     * waits this long.
     */
    private static final long FETCH_EXPIRES_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /**
     * Pending acknowledgements a queue's consumer allows: every unfinished job of the queue that was fetched
     * once (leased, delayed, failed) is one, and the consumer delivers nothing more past the bound (NATS's
     * default, 1,000, would stall a queue with 1,000 delayed jobs).
     */
    static final int MAX_ACK_PENDING = Integer.MAX_VALUE;
    /** A fetch not answered within this (the server ends each within 50 ms) is taken as lost. */
    private static final Duration FETCH_SILENCE = Duration.ofSeconds(1);

    private final JobSpace space;
    private final NatsBrokerSettings settings;
    private final String stream;
    private final Set<QueueName> consumers = ConcurrentHashMap.newKeySet();

    Tickets(JobSpace space) {
        this.space = space;
        this.settings = space.settings();
        this.stream = space.ticketStream();
    }

    /** Forgets the consumers known to exist (one was deleted, or a server lost its store). */
    void reset() {
        consumers.clear();
    }

    /**
     * Stores a ticket for job {@code id}: acknowledged once the stream (a quorum of its replicas) has it. A
     * ticket sent again with the same {@code messageId} within two minutes is stored once.
     */
    void add(QueueName queue, String id, String messageId) throws IOException, JetStreamApiException {
        space.ready();
        NatsMessage message = NatsMessage.builder().subject(space.ticketSubject(queue))
                .headers(new Headers().put("Nats-Msg-Id", messageId)).data(id.getBytes(StandardCharsets.US_ASCII))
                .build();
        try {
            PublishAck ack = space.connection().jetStream().publishAsync(message)
                    .get(settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (ack.hasError()) {
                throw new BrokerUnavailableException("the job was not stored: " + ack.getError());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnavailableException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            throw new BrokerUnavailableException("the job was not stored; retry with the same Idempotency-Key",
                    e.getCause() == null ? e : e.getCause());
        }
    }

    /**
     * Fetches up to {@code batch} tickets of the queue that are due now, without waiting. Each one is the
     * caller's until it acknowledges it or gives it back ({@link #move}), or for {@link #TICKET_ACK_WAIT}.
     * A fetch the server does not answer at all (its consumer changed leader meanwhile) is sent again
     * until the request timeout.
     */
    List<Message> fetch(QueueName queue, int batch) throws IOException, JetStreamApiException {
        space.ready();
        long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
        boolean recreated = false;
        while (true) {
            consumer(queue, deadline);
            Fetched fetched = fetchOnce(queue, batch);
            if (fetched.tickets != null) {
                return fetched.tickets;
            }
            if (fetched.noConsumer && !recreated) {
                consumers.remove(queue); // the consumer is gone: create it and fetch again
                recreated = true;
            } else if (System.nanoTime() > deadline) {
                throw new BrokerUnavailableException("NATS did not answer a fetch in time");
            }
        }
    }

    /** The tickets fetched, or null when the fetch was not answered (or had no consumer). */
    private record Fetched(List<Message> tickets, boolean noConsumer) {
    }

    private Fetched fetchOnce(QueueName queue, int batch) {
        Connection conn = space.connection();
        String inbox = conn.createInbox();
        Subscription sub = conn.subscribe(inbox);
        try {
            conn.publish("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + JobSpace.consumerName(queue), inbox,
                    ("{\"batch\":" + batch + ",\"no_wait\":true,\"expires\":" + FETCH_EXPIRES_NANOS + "}")
                            .getBytes(StandardCharsets.US_ASCII));
            List<Message> tickets = new ArrayList<>(batch);
            while (tickets.size() < batch) {
                Message m = sub.nextMessage(FETCH_SILENCE);
                if (m == null) {
                    return new Fetched(tickets.isEmpty() ? null : tickets, false);
                }
                if (m.isStatusMessage()) {
                    if (m.getStatus().getCode() == 503) {
                        return new Fetched(null, true);
                    }
                    break; // 404 no messages, 408 the request ended
                }
                tickets.add(m);
            }
            return new Fetched(tickets, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnavailableException("interrupted", e);
        } finally {
            sub.unsubscribe();
        }
    }

    /**
     * Makes sure the queue's consumer exists. On a cluster a new consumer answers only once its replicas
     * elected a leader: a question that times out is asked again until {@code deadline}.
     */
    private void consumer(QueueName queue, long deadline) throws IOException, JetStreamApiException {
        while (!consumers.contains(queue)) {
            JetStreamManagement jsm = space.connection().jetStreamManagement(
                    JetStreamOptions.builder().requestTimeout(FETCH_SILENCE).build());
            try {
                jsm.getConsumerInfo(stream, JobSpace.consumerName(queue));
            } catch (JetStreamApiException notFound) {
                if (notFound.getErrorCode() != 404) {
                    throw notFound;
                }
                // Every job of the queue that is not finished is pending on this consumer (leased, delayed,
                // failed): no bound on pending acknowledgements, and no limit of deliveries (the document
                // counts attempts). Created only when missing: an update, even to the same configuration,
                // may move the consumer's leader on a cluster and drop the fetches waiting on it.
                jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder()
                        .durable(JobSpace.consumerName(queue)).filterSubject(space.ticketSubject(queue)).ackPolicy(AckPolicy.Explicit)
                        .deliverPolicy(DeliverPolicy.All).ackWait(TICKET_ACK_WAIT).maxDeliver(-1).maxAckPending(MAX_ACK_PENDING)
                        .build());
            } catch (IOException timeout) {
                if (System.nanoTime() > deadline) {
                    throw timeout;
                }
                continue;
            }
            consumers.add(queue);
        }
    }

    /** What to do with a ticket through its acknowledgement subject. */
    enum Move {
        /** The job is finished: the ticket leaves the stream. */
        DONE,
        /** Due now: delivered again at once. */
        NOW
    }

    /** Moves a ticket (best effort: a move that is lost only makes the ticket come back later). */
    void move(String handle, Move move) {
        send(handle, move == Move.DONE ? "+ACK" : "-NAK");
    }

    /** Gives a ticket back until {@code millis} from now. */
    void moveIn(String handle, long millis) {
        send(handle, "-NAK {\"delay\":" + TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis)) + "}");
    }

    private void send(String handle, String body) {
        if (handle == null) {
            return;
        }
        try {
            // A request, not a publish: the server answers once it applied the move, so the caller's next
            // fetch sees it.
            space.connection().request(handle, body.getBytes(StandardCharsets.US_ASCII), settings.requestTimeout());
        } catch (RuntimeException e) {
            LOG.debugf("ticket move %s not applied: %s", body, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
