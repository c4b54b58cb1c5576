package dev.herald.broker.nats;

import dev.herald.support.NatsCluster;
import dev.herald.support.NatsServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The broker contract against a 3-server JetStream cluster with the stream and presence bucket replicated
 * three times (R3): a publish is acknowledged once a quorum stored it, and each node's connection may be
 * on another server than the stream's leader.
 */
class NatsClusterBrokerContractTest extends NatsBrokerContractTest {

    private static NatsCluster cluster;

    @BeforeAll
    static void startCluster() {
        Assumptions.assumeTrue(NatsServer.available(), "no nats-server");
        cluster = NatsCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected List<String> servers() {
        return cluster.urls();
    }

    @Override
    protected int replicas() {
        return 3;
    }
}
