package dev.herald.broker.nats;

import dev.herald.support.NatsCluster;
import dev.herald.support.NatsServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * Long reads on a 3-server cluster with an R3 stream: the page's consumer (R1, in memory) is created
 * through the meta leader and may live on another server than the broker's connection.
 */
class NatsClusterHistoryReplayTest extends NatsHistoryReplayTest {

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
