package dev.herald.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.Deliveries;
import dev.herald.support.HeraldProcess;
import dev.herald.support.NatsCluster;
import dev.herald.support.NatsServer;
import dev.herald.support.ResumingSubscriber;
import dev.herald.support.SeqPublisher;
import dev.herald.support.TestTokens;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two real Herald nodes (processes of the packaged jar) on a real 3-server NATS JetStream cluster with an
 * R3 stream, under faults: a NATS server SIGKILLed under load (the stream's leader), a Herald node
 * SIGKILLed, the whole NATS cluster stopped and started again. Every event that got a 202 must reach
 * every subscriber exactly once, in order. Each scenario prints its counts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NatsNodesIT {

    private static NatsCluster nats;
    private HeraldProcess nodeA;
    private HeraldProcess nodeB;
    private String stream;
    private final String token = TestTokens.admin();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void startNats() {
        Assumptions.assumeTrue(NatsServer.available(), "no nats-server");
        nats = NatsCluster.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    @BeforeEach
    void startNodes() throws Exception {
        for (int i = 0; i < 3; i++) {
            nats.server(i).start(); // a test may have left one down
        }
        stream = "IT" + UUID.randomUUID().toString().substring(0, 6);
        Map<String, String> config = Map.of(
                "herald.broker", "nats",
                "herald.nats.servers", String.join(",", nats.urls()),
                "herald.nats.stream", stream,
                "herald.nats.bucket", stream + "_presence",
                "herald.nats.replicas", "3",
                "herald.nats.subject-prefix", stream.toLowerCase());
        // Both at once: each waits for the stream, which a cluster just restarted takes a while to serve.
        List<HeraldProcess> both = HeraldProcess.startBoth("nats-node-a", config, "nats-node-b", config);
        nodeA = both.get(0);
        nodeB = both.get(1);
    }

    @AfterEach
    void stopNodes() {
        if (nodeA != null) {
            nodeA.close();
        }
        if (nodeB != null) {
            nodeB.close();
        }
    }

    @Test
    @Order(1)
    void killingTheStreamLeaderUnderLoadLosesNoAcceptedEventAndDuplicatesNone() throws Exception {
        // One publisher per topic (one publish at a time, so its seqs are in publish order: order is per
        // topic) and a subscriber on each node. A publish to an R3 stream takes a quorum's round trip, so
        // one publisher alone manages ~10-60 events/s on this shared machine: 30 topics aim at ~200 events/s.
        int topics = 30;
        int perTopic = 100;
        List<SeqPublisher> publishers = new ArrayList<>();
        List<List<ResumingSubscriber>> subscribers = new ArrayList<>();
        long setUp = System.nanoTime();
        try {
            for (int t = 0; t < topics; t++) {
                List<ResumingSubscriber> both = new ArrayList<>(subscribers("leader" + t, 1, 0));
                both.addAll(subscribers("leader" + t, 1, 1));
                subscribers.add(both);
            }
            long started = System.nanoTime();
            System.out.printf("SIGKILL NATS stream leader: %d subscribers connected in %.1f s%n", 2 * topics,
                    (started - setUp) / 1e9);
            for (int t = 0; t < topics; t++) {
                publishers.add(new SeqPublisher(http, token, t % 2 == 0 ? nodeA : nodeB, "leader" + t, perTopic,
                        Duration.ofMillis(5)));
            }
            // The kill lands halfway, once the nodes are warm; the rate is the one just before it.
            await().atMost(Duration.ofSeconds(30)).until(() -> published(publishers) >= topics * perTopic / 4);
            long quarter = published(publishers);
            long quarterAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(30)).until(() -> published(publishers) >= topics * perTopic / 2);
            double beforeKill = (published(publishers) - quarter) / ((System.nanoTime() - quarterAt) / 1e9);
            nats.server(leaderIndex()).kill();
            for (SeqPublisher publisher : publishers) {
                publisher.awaitDone();
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            Deliveries.Counts total = Deliveries.Counts.NONE;
            for (int t = 0; t < topics; t++) {
                SeqPublisher publisher = publishers.get(t);
                total = total.plus(Deliveries.verify("SIGKILL NATS stream leader, topic " + t, publisher,
                        subscribers.get(t), publisher.notAccepted()));
                assertTrue(publisher.allRefusalsHadRetryAfter(), "a 503 or 504 without Retry-After");
            }
            System.out.printf("SIGKILL NATS stream leader, %d topics: %.0f publishes/s just before the kill, %.0f accepted "
                    + "events/s over the %.1f s of publishing (the election included), checked after %.1f s; %s%n", topics,
                    beforeKill, total.accepted() / seconds, seconds, (System.nanoTime() - started) / 1e9 - seconds, total);
            assertEquals(0, total.lost(), "lost events");
            assertEquals(0, total.duplicated(), "duplicated events");
            assertTrue(total.accepted() >= topics * perTopic * 2 / 3, "too few accepted: " + total);
        } finally {
            for (SeqPublisher p : publishers) {
                p.stop();
            }
            long closing = System.nanoTime();
            ResumingSubscriber.closeAll(subscribers.stream().flatMap(List::stream).toList());
            System.out.printf("SIGKILL NATS stream leader: subscribers closed in %.1f s%n", (System.nanoTime() - closing) / 1e9);
        }
    }

    @Test
    @Order(2)
    void subscribersOfAKilledHeraldNodeResumeOnTheOtherWithEveryEventOnce() throws Exception {
        List<ResumingSubscriber> subscribers = subscribers("steady", 4, 1);
        SeqPublisher publisher = new SeqPublisher(http, token, nodeA, "steady", 300, Duration.ofMillis(5));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> publisher.published() >= 150);
            nodeB.process().destroyForcibly(); // SIGKILL, mid-stream
            assertTrue(nodeB.process().waitFor(10, TimeUnit.SECONDS));
            publisher.awaitDone();
            Deliveries.verify("SIGKILL Herald node B", publisher, subscribers, Set.of());
        } finally {
            publisher.stop();
            ResumingSubscriber.closeAll(subscribers);
        }
    }

    @Test
    @Order(3) // last: the next test would wait for the restarted cluster to serve streams again
    void natsClusterOutageAnswers503ReadinessDownAndRecoversWithoutARestart() throws Exception {
        List<ResumingSubscriber> subscribers = new ArrayList<>(subscribers("outage", 2, 0));
        subscribers.addAll(subscribers("outage", 2, 1));
        SeqPublisher publisher = new SeqPublisher(http, token, nodeA, "outage", Integer.MAX_VALUE, Duration.ofMillis(10));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> publisher.published() >= 50);
            for (int i = 0; i < 3; i++) {
                nats.server(i).kill();
            }
            long stopped = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> nodeA.managementStatus("/q/health/ready") == 503 && nodeB.managementStatus("/q/health/ready") == 503);
            assertEquals(200, nodeA.managementStatus("/q/health/live"), "liveness does not follow NATS");
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
            long restartAt = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                nats.server(i).start();
            }
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                    .until(() -> nodeA.managementStatus("/q/health/ready") == 200 && nodeB.managementStatus("/q/health/ready") == 200);
            long resumedAt = publisher.published();
            await().atMost(Duration.ofSeconds(30)).until(() -> publisher.published() >= resumedAt + 50
                    && publisher.accepted().stream().anyMatch(seq -> seq >= resumedAt));
            publisher.stop();
            Set<Long> duringOutage = publisher.completedBetween(stopped, restartAt);
            assertTrue(duringOutage.size() >= 10, "too few publishes fell into the outage: " + duringOutage.size());
            for (long seq : duringOutage) {
                assertTrue(publisher.notAccepted().contains(seq), "publish " + seq + " got a 202 while NATS was down");
            }
            assertTrue(publisher.allRefusalsHadRetryAfter(), "a 503 or 504 without Retry-After");
            Deliveries.verify("NATS cluster outage", publisher, subscribers, publisher.notAccepted());
        } finally {
            publisher.stop();
            ResumingSubscriber.closeAll(subscribers);
        }
    }

    private static long published(List<SeqPublisher> publishers) {
        return publishers.stream().mapToLong(SeqPublisher::published).sum();
    }

    /** Which of the three servers leads the test's stream. */
    private int leaderIndex() throws Exception {
        try (Connection admin = Nats.connect(nats.urls().get(0))) {
            String leader = admin.jetStreamManagement().getStreamInfo(stream).getClusterInfo().getLeader();
            return Integer.parseInt(leader.substring(1)) - 1; // servers are named n1, n2, n3
        }
    }

    private List<ResumingSubscriber> subscribers(String topic, int count, int firstNode) throws Exception {
        List<URI> nodes = List.of(nodeA.base(), nodeB.base());
        List<ResumingSubscriber> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(new ResumingSubscriber(topic + "-" + firstNode + "-" + i, nodes, firstNode, List.of(topic), token));
        }
        for (ResumingSubscriber s : list) {
            assertTrue(s.awaitConnected(Duration.ofSeconds(10)), s.name() + " did not connect");
        }
        return list;
    }
}
