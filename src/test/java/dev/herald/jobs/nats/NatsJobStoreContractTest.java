package dev.herald.jobs.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.Retention;
import dev.herald.broker.nats.NatsBroker;
import dev.herald.broker.nats.NatsBrokerSettings;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.JobStoreContractTest;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.Nack;
import dev.herald.support.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job store contract on one real nats-server with JetStream: n nodes are n stores, each on its own
 * broker and connection. The tests of a class that use one policy share a stream name and subject prefix,
 * so one job stream and set of buckets (with the policy's retention, gone with the server), as the Redis
 * suites share one server: the contract isolates tests by queue name, and new replicated streams and
 * buckets per test cost a cluster seconds. Beyond the contract: what the store leaves in NATS (in streams
 * of its own), and an idempotency key raced by several nodes.
 */
class NatsJobStoreContractTest extends JobStoreContractTest {

    /** The broker's own retention (topics), unused by the job store. */
    static final Retention RETENTION = new Retention(200, Duration.ofHours(1), 100_000, Duration.ofMinutes(5));

    private static NatsServer server;
    /** The class's stream name per policy (its subject prefix is the same in lower case). */
    private static final Map<JobPolicy, String> SHARED = new ConcurrentHashMap<>();
    private final List<NatsBroker> brokers = new ArrayList<>();
    /** Streams made for one test alone, deleted after it. */
    private final List<String> own = new ArrayList<>();

    @BeforeAll
    static void startNats() {
        Assumptions.assumeTrue(NatsServer.available(), "no nats-server");
        server = NatsServer.startNew();
        SHARED.clear();
    }

    @AfterAll
    static void stopNats() {
        if (server != null) {
            server.close();
        }
    }

    /** The server URLs the brokers connect to. */
    protected List<String> servers() {
        return List.of(server.url());
    }

    protected int replicas() {
        return 1;
    }


    @Override
    protected List<JobStore> stores(int n, JobPolicy policy) {
        return stores(n, policy, SHARED.computeIfAbsent(policy, p -> newStreamName()));
    }

    /** One store on a job stream and buckets of its own, to see what the store leaves in them. */
    private JobStore ownStore() {
        String stream = newStreamName();
        own.add(stream);
        return stores(1, CONTRACT_POLICY, stream).get(0);
    }

    private static String newStreamName() {
        return "J" + UUID.randomUUID().toString().substring(0, 8);
    }

    private List<JobStore> stores(int n, JobPolicy policy, String stream) {
        List<JobStore> stores = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NatsBroker broker = new NatsBroker(NatsBrokerSettings.of(servers(), stream.toLowerCase(), stream, replicas(),
                    RETENTION), BrokerMetrics.NONE);
            brokers.add(broker);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> broker.isAvailable().await().atMost(Duration.ofSeconds(5)));
            NatsJobStore store = new NatsJobStore(broker, policy);
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> store.ready().await().atMost(Duration.ofSeconds(30)));
            stores.add(store);
        }
        return stores;
    }

    @Test
    void oneIdempotencyKeyEnqueuedAtOnceOnSeveralNodesStoresOneJob() throws Exception {
        List<JobStore> stores = nodes(3, CONTRACT_POLICY);
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            for (int round = 0; round < 5; round++) {
                String key = "order-" + round;
                List<CompletableFuture<Enqueued>> calls = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    JobStore store = stores.get(i % 3);
                    calls.add(CompletableFuture.supplyAsync(() -> done(store.enqueue(
                            new EnqueueRequest(queue, "mail", "1", key, Duration.ZERO, 3, null, null))), pool));
                }
                Set<String> ids = calls.stream().map(CompletableFuture::join).map(Enqueued::id).collect(Collectors.toSet());
                assertEquals(1, ids.size(), "every request answered with one job: " + ids);
                assertEquals(1, calls.stream().map(CompletableFuture::join).filter(e -> !e.duplicate()).count());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(5, done(stores.get(0).counts(queue)).queued(), "one job per key, and no other document");
        assertEquals(5, done(stores.get(0).lease(new LeaseRequest(queue, 10, Duration.ofSeconds(30)))).jobs().size());
    }

    @Test
    void finishedJobsLeaveNeitherDocumentNorTicketBehindInTheJobsBucketAndStream() throws Exception {
        JobStore store = ownStore();
        for (int i = 0; i < 4; i++) {
            done(store.enqueue(EnqueueRequest.of(queue, "t", String.valueOf(i), 1)));
        }
        List<LeasedJob> jobs = done(store.lease(new LeaseRequest(queue, 4, Duration.ofSeconds(30)))).jobs();
        done(store.ack(jobs.get(0).id(), jobs.get(0).lease(), null));
        done(store.ack(jobs.get(1).id(), jobs.get(1).lease(), null));
        done(store.nack(jobs.get(2).id(), jobs.get(2).lease(), new Nack("no", false, null)));
        done(store.nack(jobs.get(3).id(), jobs.get(3).lease(), new Nack("no", true, null))); // no attempt left
        String stream = own.get(0);
        try (Connection admin = Nats.connect(servers().get(0))) {
            var jsm = admin.jetStreamManagement();
            assertEquals(0, jsm.getStreamInfo(stream + "_jobq").getStreamState().getMsgCount(), "tickets acknowledged");
            // Only the queue's next-due key, if any (none here): no document, no delete marker.
            assertEquals(0, jsm.getStreamInfo("KV_" + stream + "_jobs").getStreamState().getMsgCount());
            assertEquals(4, jsm.getStreamInfo("KV_" + stream + "_jobs_done").getStreamState().getMsgCount());
            assertNull(admin.keyValue(stream + "_jobs").get(JobSpace.jobKey(jobs.get(0).id())));
        }
        assertEquals(2, done(store.counts(queue)).succeeded());
        assertEquals(2, done(store.counts(queue)).dead());
    }

    /**
     * The buckets written by compare-and-set keep each write's message id ({@link
     * dev.herald.broker.nats.KeyValueSwap}) for 30 s, or the bucket's max age when shorter, not the two
     * minutes of a bucket's default: every id held costs the servers memory.
     */
    @Test
    void bucketsWrittenByCompareAndSetRememberMessageIdsForThirtySecondsAtMost() throws Exception {
        done(node().enqueue(EnqueueRequest.of(queue, "t", "1", 1)));
        JobPolicy shortLived = new JobPolicy(Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofMillis(200));
        done(nodes(1, shortLived).get(0).enqueue(EnqueueRequest.of(queue, "t", "1", 1)));
        try (Connection admin = Nats.connect(servers().get(0))) {
            var jsm = admin.jetStreamManagement();
            String stream = SHARED.get(CONTRACT_POLICY);
            assertEquals(Duration.ofSeconds(30), jsm.getStreamInfo("KV_" + stream + "_jobs").getConfiguration()
                    .getDuplicateWindow());
            assertEquals(Duration.ofSeconds(30), jsm.getStreamInfo("KV_" + stream + "_jobs_keys").getConfiguration()
                    .getDuplicateWindow());
            assertEquals(Duration.ofSeconds(30), jsm.getStreamInfo("KV_" + stream + "_presence").getConfiguration()
                    .getDuplicateWindow());
            String retained = SHARED.get(shortLived);
            assertEquals(Duration.ofSeconds(5), jsm.getStreamInfo("KV_" + retained + "_jobs_keys").getConfiguration()
                    .getDuplicateWindow(), "no longer than the bucket's max age");
        }
    }

    /**
     * Every delayed job a lease has seen is a pending acknowledgement of its queue's consumer: past NATS's
     * default bound (1,000) the consumer would hand out nothing more, and queued jobs behind them would wait.
     */
    @Test
    void queuedJobsBehindMoreThanAThousandDelayedOnesAreLeased() {
        JobStore store = node();
        for (int i = 0; i < 1010; i++) {
            done(store.enqueue(new EnqueueRequest(queue, "later", "1", null, Duration.ofHours(1), 3, null, null)));
        }
        Set<String> queued = new java.util.HashSet<>();
        for (int i = 0; i < 5; i++) {
            queued.add(done(store.enqueue(EnqueueRequest.of(queue, "now", "1", 3))).id());
        }
        Set<String> leased = new java.util.HashSet<>();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            done(store.lease(new LeaseRequest(queue, 5, Duration.ofSeconds(30)))).jobs()
                    .forEach(j -> leased.add(j.id()));
            return leased.size() >= 5;
        });
        assertEquals(queued, leased);
        assertEquals(1010, done(store.counts(queue)).delayed());
    }

    @AfterEach
    void closeBrokers() throws Exception {
        brokers.forEach(NatsBroker::close);
        brokers.clear();
        if (own.isEmpty()) {
            return;
        }
        try (Connection admin = Nats.connect(servers().get(0))) {
            for (String stream : own) {
                for (String name : List.of(stream, stream + "_jobq", "KV_" + stream + "_presence", "KV_" + stream + "_jobs",
                        "KV_" + stream + "_jobs_done", "KV_" + stream + "_jobs_keys")) {
                    try {
                        admin.jetStreamManagement().deleteStream(name);
                    } catch (Exception gone) {
                        // never created
                    }
                }
            }
        }
        own.clear();
    }
}
