package dev.herald.jobs.nats;

import dev.herald.support.NatsCluster;
import dev.herald.support.NatsServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The job store contract on a 3-server JetStream cluster with the job stream and buckets replicated three
 * times (R3): a job is acknowledged once a quorum stored its document and ticket, compare-and-set goes
 * through each bucket's leader, and the nodes' connections may be on other servers than the leaders.
 */
class NatsClusterJobStoreContractTest extends NatsJobStoreContractTest {

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
