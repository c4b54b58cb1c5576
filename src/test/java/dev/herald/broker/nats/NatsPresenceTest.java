package dev.herald.broker.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerListener;
import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.Topic;
import dev.herald.support.NatsServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Presence on NATS beyond the contract's joins and leaves: members of a node that died without saying
 * goodbye expire, and the refresh of another node announces that their users left.
 */
class NatsPresenceTest {

    private static NatsServer server;
    private NatsBroker dying;
    private NatsBroker survivor;

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

    @AfterEach
    void closeBrokers() {
        if (dying != null) {
            dying.close();
        }
        if (survivor != null) {
            survivor.close();
        }
    }

    private NatsBroker broker(String stream, Duration ttl) {
        NatsBroker broker = new NatsBroker(new NatsBrokerSettings(List.of(server.url()), "p" + stream, stream,
                stream + "_presence", 1, new Retention(200, Duration.ofHours(1), 1000, Duration.ofMinutes(5)), -1, Duration.ofSeconds(5), Duration.ofSeconds(5),
                ttl, NatsBrokerSettings.DEFAULT_MAX_HELD_BYTES), BrokerMetrics.NONE);
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> broker.isAvailable().await().atMost(Duration.ofSeconds(5)));
        return broker;
    }

    @Test
    void membersOfANodeThatStoppedRefreshingExpireAndTheirUsersLeave() throws Exception {
        String stream = "P" + UUID.randomUUID().toString().substring(0, 8);
        Duration ttl = Duration.ofSeconds(1);
        dying = broker(stream, ttl);
        survivor = broker(stream, ttl);
        BlockingQueue<String> notices = new LinkedBlockingQueue<>();
        survivor.setListener(new BrokerListener() {
            @Override
            public void onEvent(Event event) {
            }

            @Override
            public void onPresence(Topic topic, String type, String data) {
                notices.add(type + " " + data);
            }
        });
        Topic topic = Topic.of("room:" + stream);
        survivor.subscribe(topic).await().atMost(Duration.ofSeconds(5));
        dying.presence().join(topic, "dead:1", "carol").await().atMost(Duration.ofSeconds(5));
        survivor.presence().join(topic, "alive:1", "dave").await().atMost(Duration.ofSeconds(5));
        assertEquals("herald.join {\"user\":\"carol\"}", notices.poll(5, TimeUnit.SECONDS));
        assertEquals("herald.join {\"user\":\"dave\"}", notices.poll(5, TimeUnit.SECONDS));

        dying.close(); // never refreshes carol again
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
            survivor.presence().refresh(topic, Map.of("alive:1", "dave")).await().atMost(Duration.ofSeconds(5));
            return survivor.presence().members(topic).await().atMost(Duration.ofSeconds(5)).equals(List.of("dave"));
        });
        assertEquals("herald.leave {\"user\":\"carol\"}", notices.poll(5, TimeUnit.SECONDS));
        assertTrue(notices.isEmpty(), "dave, refreshed, never left: " + notices);
    }
}
