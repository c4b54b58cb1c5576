package dev.herald.jobs.nats;

import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.nats.NatsBroker;
import dev.herald.broker.nats.NatsBrokerSettings;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.QueueName;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.PublishAck;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Where the jobs live in NATS, beside the broker's stream (names derive from {@code herald.nats.stream}
 * {@code S} and {@code herald.nats.subject-prefix} {@code P}):
 * <ul>
 *   <li>stream {@code S_jobq}, work-queue retention, subjects {@code P.jq.<queue key>}: one <em>ticket</em>
 *   (the job's id) per job that is not finished, and one durable pull consumer per queue. A ticket is the
 *   job's timer: a node that fetches it reads the job's document and leases the job, or gives the ticket
 *   back with a delay ("NAK with delay") until the job's start, retry or lease end, or acknowledges it when
 *   the job is finished;</li>
 *   <li>key-value bucket {@code S_jobs}: the documents of unfinished jobs ({@code j.<tag>.<id>}) and each
 *   queue's next due time ({@code d.<queue key>});</li>
 *   <li>bucket {@code S_jobs_done}, max age = {@code herald.jobs.retention}: finished jobs, forgotten by
 *   NATS after the retention;</li>
 *   <li>bucket {@code S_jobs_keys}, max age = the retention: idempotency keys;</li>
 *   <li>core subject {@code P.jn.<queue key>}: "a job may be available" notices.</li>
 * </ul>
 * The queue key is 128 bits of the SHA-256 of the queue's name (any name, one subject token). Streams,
 * buckets and consumers are created on first use, with the broker's replicas. Calls here block: they run
 * on the broker's blocking executor.
 */
final class JobSpace {

    private static final Logger LOG = Logger.getLogger(JobSpace.class);
    /** A fetched ticket not given back within this (its node died) is delivered again. */
    static final Duration TICKET_ACK_WAIT = Duration.ofMinutes(1);
    /**
     * How long the server keeps a fetch that found no due ticket at once. Without an expiry, a fetch that
     * the consumer thought it could serve (tickets pending) but that others served first could wait
     * forever on NATS 2.9 and take tickets meant for later fetches; with one, a fetch finding nothing
     * waits this long.
     */
    private static final long FETCH_EXPIRES_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** A fetch not answered within this (the server ends each within 50 ms) is taken as lost. */
    private static final Duration FETCH_SILENCE = Duration.ofSeconds(1);

    private final NatsBroker broker;
    private final NatsBrokerSettings settings;
    private final JobPolicy policy;
    private final String ticketStream;
    private final Set<QueueName> consumers = ConcurrentHashMap.newKeySet();
    private volatile KeyValue jobs;
    private volatile KeyValue done;
    private volatile KeyValue keys;

    JobSpace(NatsBroker broker, JobPolicy policy) {
        this.broker = broker;
        this.settings = broker.settings();
        this.policy = policy;
        this.ticketStream = settings.stream() + "_jobq";
    }

    Connection connection() {
        return broker.natsConnection();
    }

    KeyValue jobs() throws IOException, JetStreamApiException {
        ready();
        return jobs;
    }

    KeyValue done() throws IOException, JetStreamApiException {
        ready();
        return done;
    }

    KeyValue keys() throws IOException, JetStreamApiException {
        ready();
        return keys;
    }

    static String jobKey(String id) {
        return "j." + JobIds.tagOf(id) + "." + id;
    }

    /** The keys of the jobs whose ids carry the queue's tag (other queues may share it: filter by document). */
    static String jobKeys(QueueName queue) {
        return "j." + JobIds.tag(queue) + ".*";
    }

    static String dueKey(QueueName queue) {
        return "d." + queueKey(queue);
    }

    static String idempotencyKey(QueueName queue, String key) {
        return queueKey(queue) + "." + sha256(key).substring(0, 40);
    }

    String noticeSubject(QueueName queue) {
        return settings.subjectPrefix() + ".jn." + queueKey(queue);
    }

    private String ticketSubject(QueueName queue) {
        return settings.subjectPrefix() + ".jq." + queueKey(queue);
    }

    private static String consumerName(QueueName queue) {
        return "jq_" + queueKey(queue);
    }

    static String queueKey(QueueName queue) {
        return sha256(queue.name()).substring(0, 32);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates the stream and buckets once (again after a failure), and sets the retention on them. */
    void ready() throws IOException, JetStreamApiException {
        if (keys != null) {
            return;
        }
        synchronized (this) {
            if (keys != null) {
                return;
            }
            Connection conn = connection();
            JetStreamManagement jsm = conn.jetStreamManagement();
            try {
                jsm.getStreamInfo(ticketStream);
            } catch (JetStreamApiException notFound) {
                if (notFound.getErrorCode() != 404) {
                    throw notFound;
                }
                jsm.addStream(StreamConfiguration.builder().name(ticketStream).subjects(settings.subjectPrefix() + ".jq.*")
                        .retentionPolicy(RetentionPolicy.WorkQueue).storageType(StorageType.File)
                        .replicas(settings.replicas()).duplicateWindow(Duration.ofMinutes(2)).build());
                LOG.infof("NATS job stream %s created", ticketStream);
            }
            KeyValueManagement kvm = conn.keyValueManagement();
            String name = settings.stream() + "_jobs";
            bucket(kvm, name, null);
            bucket(kvm, name + "_done", policy.retention());
            bucket(kvm, name + "_keys", policy.retention());
            jobs = conn.keyValue(name);
            done = conn.keyValue(name + "_done");
            keys = conn.keyValue(name + "_keys");
        }
    }

    private void bucket(KeyValueManagement kvm, String name, Duration ttl) throws IOException, JetStreamApiException {
        KeyValueConfiguration.Builder config = KeyValueConfiguration.builder().name(name).storageType(StorageType.File)
                .replicas(settings.replicas()).maxHistoryPerKey(1);
        if (ttl != null) {
            config.ttl(ttl);
        }
        try {
            KeyValueStatus have = kvm.getStatus(name);
            if (ttl != null && !ttl.equals(have.getTtl())) {
                kvm.update(config.build());
                LOG.infof("NATS key-value bucket %s now keeps entries %s", name, ttl);
            }
        } catch (JetStreamApiException notFound) {
            if (notFound.getErrorCode() != 404) {
                throw notFound;
            }
            kvm.create(config.build());
            LOG.infof("NATS key-value bucket %s created", name);
        }
    }

    /** Forgets what was created, so the next call checks again (a server lost its store, a consumer is gone). */
    void reset() {
        keys = null;
        consumers.clear();
    }

    /**
     * Stores a ticket for job {@code id}: acknowledged once the stream (a quorum of its replicas) has it. A
     * ticket sent again with the same {@code messageId} within two minutes is stored once.
     */
    void addTicket(QueueName queue, String id, String messageId) throws IOException, JetStreamApiException {
        ready();
        NatsMessage message = NatsMessage.builder().subject(ticketSubject(queue))
                .headers(new Headers().put("Nats-Msg-Id", messageId)).data(id.getBytes(StandardCharsets.US_ASCII))
                .build();
        try {
            PublishAck ack = connection().jetStream().publishAsync(message)
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
     * caller's until it acknowledges it or gives it back ({@link #ticket}), or for {@link #TICKET_ACK_WAIT}.
     * A fetch the server does not answer at all (its consumer changed leader meanwhile) is sent again
     * until the request timeout.
     */
    List<Message> fetch(QueueName queue, int batch) throws IOException, JetStreamApiException {
        ready();
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
        Connection conn = connection();
        String inbox = conn.createInbox();
        Subscription sub = conn.subscribe(inbox);
        try {
            conn.publish("$JS.API.CONSUMER.MSG.NEXT." + ticketStream + "." + consumerName(queue), inbox,
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
            JetStreamManagement jsm = connection().jetStreamManagement(
                    JetStreamOptions.builder().requestTimeout(FETCH_SILENCE).build());
            try {
                jsm.getConsumerInfo(ticketStream, consumerName(queue));
            } catch (JetStreamApiException notFound) {
                if (notFound.getErrorCode() != 404) {
                    throw notFound;
                }
                // Every job of the queue that is not finished is pending on this consumer (leased, delayed,
                // failed): no bound on pending acknowledgements, and no limit of deliveries (the document
                // counts attempts). Created only when missing: an update, even to the same configuration,
                // may move the consumer's leader on a cluster and drop the fetches waiting on it.
                jsm.addOrUpdateConsumer(ticketStream, ConsumerConfiguration.builder()
                        .durable(consumerName(queue)).filterSubject(ticketSubject(queue)).ackPolicy(AckPolicy.Explicit)
                        .deliverPolicy(DeliverPolicy.All).ackWait(TICKET_ACK_WAIT).maxDeliver(-1).maxAckPending(-1)
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
    enum TicketMove {
        /** The job is finished: the ticket leaves the stream. */
        DONE,
        /** Due now: delivered again at once. */
        NOW
    }

    /** Moves a ticket (best effort: a move that is lost only makes the ticket come back later). */
    void ticket(String handle, TicketMove move) {
        send(handle, move == TicketMove.DONE ? "+ACK" : "-NAK");
    }

    /** Gives a ticket back until {@code millis} from now. */
    void ticketIn(String handle, long millis) {
        send(handle, "-NAK {\"delay\":" + TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis)) + "}");
    }

    private void send(String handle, String body) {
        if (handle == null) {
            return;
        }
        try {
            // A request, not a publish: the server answers once it applied the move, so the caller's next
            // fetch sees it.
            connection().request(handle, body.getBytes(StandardCharsets.US_ASCII), settings.requestTimeout());
        } catch (RuntimeException e) {
            LOG.debugf("ticket move %s not applied: %s", body, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Announces that a job of the queue may be available, to every node watching it. */
    void notice(QueueName queue) {
        try {
            connection().publish(noticeSubject(queue), new byte[0]);
        } catch (RuntimeException e) {
            LOG.debugf("job notice for %s not sent: %s", queue, e.getMessage());
        }
    }
}
