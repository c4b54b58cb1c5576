package dev.herald.jobs.nats;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.Retention;
import dev.herald.broker.nats.NatsBroker;
import dev.herald.broker.nats.NatsBrokerSettings;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.JobStoreContractTest;
import dev.herald.support.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The job store contract on one real nats-server with JetStream: n nodes are n stores, each on its own
 * broker and connection. Each call of {@link #stores} gets its own stream name and subject prefix, so its
 * job stream and buckets are new (with the policy's retention) and are deleted after the test.
 */
class NatsJobStoreContractTest extends JobStoreContractTest {

    /** The broker's own retention (topics), unused by the job store. */
    static final Retention RETENTION = new Retention(200, Duration.ofHours(1), 100_000, Duration.ofMinutes(5));

    private static NatsServer server;
    private final List<NatsBroker> brokers = new ArrayList<>();
    private final List<String> streams = new ArrayList<>();

    @BeforeAll
    static void startNats() {
        Assumptions.assumeTrue(NatsServer.available(), "no nats-server");
        server = NatsServer.startNew();
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
        String id = UUID.randomUUID().toString().substring(0, 8);
        String stream = "J" + id;
        streams.add(stream);
        List<JobStore> stores = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NatsBroker broker = new NatsBroker(NatsBrokerSettings.of(servers(), "j" + id, stream, replicas(), RETENTION),
                    BrokerMetrics.NONE);
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

    @AfterEach
    void closeBrokers() throws Exception {
        brokers.forEach(NatsBroker::close);
        brokers.clear();
        if (streams.isEmpty()) {
            return;
        }
        try (Connection admin = Nats.connect(servers().get(0))) {
            for (String stream : streams) {
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
        streams.clear();
    }
}
