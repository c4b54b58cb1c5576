package dev.herald.jobs.nats;

import dev.herald.broker.nats.KeyValueSwap;
import dev.herald.broker.nats.NatsBroker;
import dev.herald.broker.nats.NatsBrokerSettings;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.QueueName;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.PurgeOptions;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
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

    private final NatsBroker broker;
    private final NatsBrokerSettings settings;
    private final JobPolicy policy;
    private final String ticketStream;
    private volatile KeyValue jobs;
    private volatile KeyValue done;
    private volatile KeyValue keys;
    /** For compare-and-set ({@link KeyValueSwap}), made with the buckets. */
    private volatile JetStream jetStream;

    JobSpace(NatsBroker broker, JobPolicy policy) {
        this.broker = broker;
        this.settings = broker.settings();
        this.policy = policy;
        this.ticketStream = settings.stream() + "_jobq";
    }

    NatsBrokerSettings settings() {
        return settings;
    }

    String ticketStream() {
        return ticketStream;
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

    String ticketSubject(QueueName queue) {
        return settings.subjectPrefix() + ".jq." + queueKey(queue);
    }

    static String consumerName(QueueName queue) {
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

    /** Whether {@link #ready} has created (or found) the stream and buckets: no call to NATS. */
    boolean isReady() {
        return keys != null;
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
            KeyValueSwap.narrowWindow(jsm, name);
            KeyValueSwap.narrowWindow(jsm, name + "_keys");
            jetStream = conn.jetStream();
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

    /** Compare-and-set of one entry of the jobs bucket ({@link KeyValueSwap}): its new revision, or -1. */
    long swapJob(String key, byte[] value, long revision, String claim) throws IOException, JetStreamApiException {
        ready();
        return KeyValueSwap.swap(jetStream, settings.stream() + "_jobs", key, value, revision, claim);
    }

    /** Compare-and-set of one entry of the idempotency-key bucket ({@link KeyValueSwap}): as {@link #swapJob}. */
    long swapKey(String key, byte[] value, long revision) throws IOException, JetStreamApiException {
        ready();
        return KeyValueSwap.swap(jetStream, settings.stream() + "_jobs_keys", key, value, revision, "");
    }

    /**
     * Removes a job's document from the jobs bucket, up to and including {@code revision}: a later
     * version (a dead job retried meanwhile) stays. A purge of the bucket's stream rather than a key-value
     * delete, which would leave a delete marker per job behind for good.
     */
    void forget(String id, long revision) throws IOException, JetStreamApiException {
        ready();
        String bucket = settings.stream() + "_jobs";
        connection().jetStreamManagement().purgeStream("KV_" + bucket, PurgeOptions.builder()
                .subject("$KV." + bucket + "." + jobKey(id)).sequence(revision + 1).build());
    }

    /** Forgets what was created, so the next call checks again (a server lost its store, a consumer is gone). */
    void reset() {
        keys = null;
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
