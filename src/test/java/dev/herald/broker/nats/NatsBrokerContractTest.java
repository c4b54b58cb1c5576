package dev.herald.broker.nats;

import org.awaitility.Awaitility;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerContractTest;
import dev.herald.broker.BrokerMetrics;
import dev.herald.support.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The broker contract against the NATS broker: n nodes are n brokers, each with its own connection, on
 * one real nats-server with JetStream. Each test gets its own stream, subject prefix and bucket.
 */
class NatsBrokerContractTest extends BrokerContractTest {

    private static NatsServer server;
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
    protected List<Broker> brokers(int n) {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String stream = "T" + id;
        streams.add(stream);
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NatsBroker broker = new NatsBroker(NatsBrokerSettings.of(servers(), "t" + id, stream, replicas(), retention()),
                    BrokerMetrics.NONE);
            brokers.add(broker);
        }
        for (Broker b : brokers) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> b.isAvailable().await().atMost(Duration.ofSeconds(5)));
        }
        return brokers;
    }

    @AfterEach
    void deleteStreams() throws Exception {
        if (streams.isEmpty()) {
            return;
        }
        try (Connection admin = Nats.connect(servers().get(0))) {
            for (String stream : streams) {
                try {
                    admin.jetStreamManagement().deleteStream(stream);
                    admin.keyValueManagement().delete(stream + "_presence");
                } catch (Exception gone) {
                    // never created, or already deleted
                }
            }
        }
        streams.clear();
    }
}
