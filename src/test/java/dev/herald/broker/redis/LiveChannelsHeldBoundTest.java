package dev.herald.broker.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.support.RedisBrokers;
import dev.herald.support.BrokerRecorder;
import dev.herald.support.RedisServer;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live events a node holds while a topic's gap is filled after a pub/sub reconnect are bounded.
 * Unit level, with the real classes on a real redis-server: {@link LiveChannels} reads its gaps through
 * a real {@link RedisBroker} whose reads this test holds back (an end-to-end gap fill slower than a
 * publisher cannot be produced on demand), while a publisher keeps publishing live.
 */
class LiveChannelsHeldBoundTest {

    private static final String DATA = "{\"pad\":\"" + "x".repeat(200) + "\",\"seq\":";

    private RedisBrokers redis;
    private RedisServer server;
    private Vertx vertx;
    private Redis client;
    private RedisBroker publisher;
    private LiveChannels live;

    @BeforeEach
    void start() {
        redis = RedisBrokers.start();
        server = redis.server();
        vertx = redis.vertx();
        client = redis.client(server.url(), 8);
        publisher = redis.broker(client, settings(), BrokerMetrics.NONE);
    }

    @AfterEach
    void stop() {
        if (live != null) {
            live.close();
        }
        redis.close();
    }

    private static RedisBrokerSettings settings() {
        return new RedisBrokerSettings("held:", new Retention(10_000, Duration.ofHours(1), 1000, Duration.ofMinutes(5)),
                Duration.ofSeconds(2), Duration.ofHours(1), false).withMaxHeldBytes(10_000);
    }

    /** The publisher's stream reads, each held until the gate opens. */
    private record GatedStreams(RedisBroker broker, CompletableFuture<Void> gate, AtomicInteger reads)
            implements LiveChannels.Streams {
        @Override
        public Uni<HistoryPage> read(Topic topic, EventId after, int limit) {
            reads.incrementAndGet();
            return Uni.createFrom().completionStage(gate).chain(() -> broker.read(topic, after, limit));
        }

        @Override
        public Uni<EventId> head(Topic topic) {
            return broker.head(topic);
        }
    }

    @Test
    void liveEventsHeldDuringASlowGapFillAreBoundedAndTheTopicResynchronizesBeyond() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        GatedStreams streams = new GatedStreams(publisher, gate, new AtomicInteger());
        live = new LiveChannels(vertx, client, new RedisKeys("held:"), streams, settings(), BrokerMetrics.NONE);
        BrokerRecorder recorder = new BrokerRecorder();
        live.setListener(recorder);
        List<Event> received = recorder.events();
        List<Topic> lost = recorder.lost();
        Topic topic = Topic.of("held:t");
        live.subscribe(topic).await().atMost(Duration.ofSeconds(5));
        publish(topic, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);

        // The pub/sub connection drops; the reconnect's gap fill waits at the gate while events go on.
        assertEquals(":", server.command("CLIENT", "KILL", "TYPE", "pubsub").substring(0, 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> streams.reads().get() > 0);
        for (int i = 1; i <= 200; i++) {
            publish(topic, i); // about 260 bytes held each: 200 of them are five times the bound
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !lost.isEmpty());
        assertEquals(List.of(topic), lost, "past the bound the topic's subscribers are told to resynchronize");

        // The topic goes on live from there, and the late fill does not replay the abandoned gap.
        gate.complete(null);
        publish(topic, 201);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> received.get(received.size() - 1).data().equals(DATA + "201}"));
        for (int i = 1; i < received.size(); i++) {
            assertTrue(received.get(i).id().isAfter(received.get(i - 1).id()), "delivered out of order or twice");
        }
    }

    private void publish(Topic topic, int seq) {
        publisher.publish(new PublishRequest(topic, "m", DATA + seq + "}", null)).await().atMost(Duration.ofSeconds(5));
    }
}
