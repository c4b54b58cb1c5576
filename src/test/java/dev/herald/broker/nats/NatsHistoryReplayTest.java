package dev.herald.broker.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.support.NatsServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Long history reads go through one consumer per page rather than one direct get per event, and read
 * exactly what the event-by-event walk reads: the topic's own events, in order, up to the page size.
 */
class NatsHistoryReplayTest {

    private static NatsServer server;
    private final Map<String, AtomicInteger> commands = new ConcurrentHashMap<>();
    private NatsBroker broker;

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

    /** The server URLs the broker connects to. */
    protected List<String> servers() {
        return List.of(server.url());
    }

    protected int replicas() {
        return 1;
    }

    @BeforeEach
    void startBroker() {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Retention retention = new Retention(1_000, Duration.ofHours(1), 1_000, Duration.ofMinutes(5),
                new Retention.ByteLimits(1 << 20, 64 << 20, 16 << 20));
        broker = new NatsBroker(NatsBrokerSettings.of(servers(), "r" + id, "R" + id, replicas(), retention),
                new BrokerMetrics() {
                    @Override
                    public void brokerReconnected(String name) {
                    }

                    @Override
                    public void gapFilled(String name, int events) {
                    }

                    @Override
                    public void brokerCommand(String name, String command, long nanos) {
                        commands.computeIfAbsent(command, c -> new AtomicInteger()).incrementAndGet();
                    }
                });
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> broker.isAvailable().await().atMost(Duration.ofSeconds(5)));
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    @Test
    void longReadIsOneReplayOfTheTopicsOwnEventsInOrder() {
        Topic topic = Topic.of("replay-a");
        Topic other = Topic.of("replay-b");
        List<EventId> published = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            published.add(publish(topic, "{\"n\":" + i + "}"));
            publish(other, "{\"other\":" + i + "}"); // interleaved: the topic's sequences are not contiguous
        }
        int getsBefore = count("get");

        HistoryPage first = broker.read(topic, published.get(9), 250).await().atMost(Duration.ofSeconds(10));
        HistoryPage rest = broker.read(topic, published.get(259), 250).await().atMost(Duration.ofSeconds(10));

        assertFalse(first.truncated());
        assertEquals(published.subList(10, 260), ids(first));
        assertEquals("{\"n\":10}", first.events().get(0).data());
        assertEquals("{\"n\":259}", first.events().get(249).data());
        assertEquals(published.subList(260, 300), ids(rest));
        assertEquals(published.get(299), rest.head());
        assertEquals(2, count("replay"));
        // Two pages: a head, a first event and a few direct gets each; not one get per event.
        int gets = count("get") - getsBefore;
        assertTrue(gets < 30, gets + " direct gets");
    }

    @Test
    void shortReadIsDirectGetsOnly() {
        Topic topic = Topic.of("replay-short");
        List<EventId> published = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            published.add(publish(topic, "{\"n\":" + i + "}"));
        }

        HistoryPage page = broker.read(topic, EventId.ZERO, 100).await().atMost(Duration.ofSeconds(10));

        assertEquals(published, ids(page));
        assertEquals(0, count("replay"));
    }

    private EventId publish(Topic topic, String data) {
        return broker.publish(new PublishRequest(topic, Event.DEFAULT_TYPE, data, null))
                .await().atMost(Duration.ofSeconds(10)).id();
    }

    private int count(String command) {
        AtomicInteger n = commands.get(command);
        return n == null ? 0 : n.get();
    }

    private static List<EventId> ids(HistoryPage page) {
        return page.events().stream().map(Event::id).toList();
    }
}
