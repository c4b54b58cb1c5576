package dev.herald.broker.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.awaitility.Awaitility;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerContractTest;
import dev.herald.broker.HistoryPage;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.support.CountingBrokerMetrics;
import dev.herald.support.NatsServer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker contract against the NATS broker: n nodes are n brokers, each with its own connection, on
 * one real nats-server with JetStream. The tests of a class share one stream, subject prefix and presence
 * bucket (created by the first test, gone with the server), as the Redis suites share one server: the
 * contract isolates tests by topic name, and a new replicated stream per test cost a cluster seconds.
 * Beyond the contract: long reads go through one consumer per page rather than one direct get per event.
 */
class NatsBrokerContractTest extends BrokerContractTest {

    private static NatsServer server;
    /** The class's stream name (its subject prefix is the same in lower case); null before the first test. */
    private static String stream;
    /** The brokers' commands by name ("get", "replay", ...), counted. */
    private final CountingBrokerMetrics commands = new CountingBrokerMetrics();

    @BeforeAll
    static void startNats() {
        Assumptions.assumeTrue(NatsServer.available(), "no nats-server");
        server = NatsServer.startNew();
        stream = null;
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
        if (stream == null) {
            stream = "T" + UUID.randomUUID().toString().substring(0, 8);
        }
        List<Broker> brokers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NatsBroker broker = new NatsBroker(NatsBrokerSettings.of(servers(), stream.toLowerCase(), stream, replicas(),
                    retention()), commands);
            brokers.add(broker);
        }
        for (Broker b : brokers) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> b.isAvailable().await().atMost(Duration.ofSeconds(5)));
        }
        return brokers;
    }

    // NATS 2.9 has no batched direct get: a long page is read through one consumer, not one get per event.

    @Test
    void longReadIsOneReplayPerPageOfTheTopicsOwnEventsInOrder() {
        Broker broker = node();
        Topic topic = topic("replay-a");
        Topic other = topic("replay-b");
        List<EventId> published = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            published.add(publish(broker, topic, "{\"n\":" + i + "}").id());
            publish(broker, other, "{\"other\":" + i + "}"); // interleaved: the topic's sequences are not contiguous
        }
        int getsBefore = count("get");

        HistoryPage first = await(broker.read(topic, published.get(4), 100));
        HistoryPage rest = await(broker.read(topic, published.get(104), 100));

        assertFalse(first.truncated());
        assertEquals(published.subList(5, 105), ids(first.events()));
        assertEquals("{\"n\":5}", first.events().get(0).data());
        assertEquals("{\"n\":104}", first.events().get(99).data());
        assertEquals(published.subList(105, 150), ids(rest.events()));
        assertEquals(published.get(149), rest.head());
        assertEquals(2, count("replay"));
        // Two pages: a head, a first event and a few direct gets each; not one get per event.
        int gets = count("get") - getsBefore;
        assertTrue(gets < 30, gets + " direct gets");
    }

    @Test
    void shortReadIsDirectGetsOnly() {
        Broker broker = node();
        Topic topic = topic("replay-short");
        List<EventId> published = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            published.add(publish(broker, topic, "{\"n\":" + i + "}").id());
        }

        assertEquals(published, ids(await(broker.read(topic, EventId.ZERO, 100)).events()));
        assertEquals(0, count("replay"));
    }

    @Test
    void aReadStartedOnAVertxContextIsAnsweredOnThatContext() throws Exception {
        Broker broker = node();
        Topic topic = topic("on-context");
        List<EventId> published = new ArrayList<>();
        for (int i = 0; i < 20; i++) { // beyond the direct gets: the page's rest comes through a replay
            published.add(publish(broker, topic, "{\"n\":" + i + "}").id());
        }
        Vertx vertx = Vertx.vertx();
        try {
            Context context = vertx.getOrCreateContext();
            CompletableFuture<Context> pageOn = new CompletableFuture<>();
            CompletableFuture<Context> headOn = new CompletableFuture<>();
            CompletableFuture<HistoryPage> page = new CompletableFuture<>();
            context.runOnContext(v -> {
                broker.read(topic, EventId.ZERO, 100).subscribe().with(p -> {
                    pageOn.complete(Vertx.currentContext());
                    page.complete(p);
                }, page::completeExceptionally);
                broker.head(topic).subscribe().with(h -> headOn.complete(Vertx.currentContext()),
                        headOn::completeExceptionally);
            });

            assertEquals(published, ids(page.get(10, TimeUnit.SECONDS).events()));
            assertSame(context, pageOn.get(10, TimeUnit.SECONDS));
            assertSame(context, headOn.get(10, TimeUnit.SECONDS));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private int count(String command) {
        return commands.commands(command);
    }
}
