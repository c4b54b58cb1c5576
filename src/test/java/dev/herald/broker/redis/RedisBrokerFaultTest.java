package dev.herald.broker.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.support.BrokerRecorder;
import dev.herald.support.RedisBrokers;
import dev.herald.support.RedisServer;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis broker behaviour under faults, against a real redis-server: the pub/sub connection dropped
 * (gap filled from the stream, in order, once), Redis stopped (publish fails, availability false) and
 * restarted (live delivery resumes with nothing lost), history lost during an outage (listener told).
 */
class RedisBrokerFaultTest {

    private RedisBrokers redis;
    private RedisServer server;
    private final AtomicInteger reconnects = new AtomicInteger();
    private final AtomicInteger filled = new AtomicInteger();
    private final java.util.Set<String> commands = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() {
        redis = RedisBrokers.start();
        server = redis.server();
    }

    @AfterEach
    void stop() {
        redis.close();
    }

    private RedisBroker broker(int maxEvents) {
        return brokerOn(redis.client(server.url(), 8, 1000), maxEvents, Duration.ofHours(1));
    }

    /** A broker on {@code client} whose reconnects and gap fills are counted by this test. */
    private RedisBroker brokerOn(Redis client, int maxEvents, Duration idleTopicTtl) {
        BrokerMetrics metrics = new BrokerMetrics() {
            @Override
            public void brokerReconnected(String broker) {
                reconnects.incrementAndGet();
            }

            @Override
            public void gapFilled(String broker, int events) {
                filled.addAndGet(events);
            }

            @Override
            public void brokerCommand(String broker, String command, long nanos) {
                commands.add(command);
            }
        };
        return redis.broker(client, new RedisBrokerSettings("fault:",
                new Retention(maxEvents, Duration.ofHours(1), 1000, Duration.ofMinutes(5)),
                Duration.ofSeconds(2), idleTopicTtl, false), metrics);
    }

    private static EventId publish(RedisBroker broker, Topic topic, int seq) {
        return broker.publish(new PublishRequest(topic, "seq", "{\"seq\":" + seq + "}", null))
                .await().atMost(Duration.ofSeconds(5)).id();
    }

    @Test
    void scriptsAreTimedUnderTheirOwnNamesAsTheAlertsExpect() {
        RedisBroker broker = broker(1000);
        Topic topic = Topic.of("timed");
        publish(broker, topic, 1);
        broker.read(topic, EventId.ZERO, 10).await().atMost(Duration.ofSeconds(5));

        // deploy/k8s/monitoring's HeraldRedisSlow watches command="publish".
        org.junit.jupiter.api.Assertions.assertTrue(commands.containsAll(java.util.Set.of("publish", "read")), commands.toString());
    }

    @Test
    void eventsPublishedWhileThePubSubConnectionIsDownAreFilledFromTheStreamInOrderOnce() {
        RedisBroker publisher = broker(1000);
        RedisBroker subscriber = broker(1000);
        BrokerRecorder recorder = new BrokerRecorder();
        subscriber.setListener(recorder);
        Topic topic = Topic.of("gap:fill");
        subscriber.subscribe(topic).await().atMost(Duration.ofSeconds(5));
        for (int i = 0; i < 50; i++) {
            publish(publisher, topic, i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events().size() == 50);
        // Drop every pub/sub connection, then publish while the subscriber reconnects.
        assertEquals(":", server.command("CLIENT", "KILL", "TYPE", "pubsub").substring(0, 1));
        for (int i = 50; i < 300; i++) {
            publish(publisher, topic, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() >= 300);
        List<Event> got = recorder.events();
        assertEquals(300, got.size(), "events lost or duplicated");
        for (int i = 0; i < got.size(); i++) {
            assertEquals("{\"seq\":" + i + "}", got.get(i).data(), "order broken at " + i);
        }
        assertTrue(reconnects.get() >= 1, "no reconnect counted");
        System.out.printf("pub/sub drop: 300 published, 300 delivered once in order, %d filled from the stream, "
                + "%d reconnects%n", filled.get(), reconnects.get());
    }

    @Test
    void whileRedisIsDownPublishFailsAndAvailabilityIsFalseThenLiveDeliveryResumes() {
        RedisBroker publisher = broker(1000);
        RedisBroker subscriber = broker(1000);
        BrokerRecorder recorder = new BrokerRecorder();
        subscriber.setListener(recorder);
        Topic topic = Topic.of("outage:x");
        subscriber.subscribe(topic).await().atMost(Duration.ofSeconds(5));
        publish(publisher, topic, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events().size() == 1);
        assertTrue(subscriber.isAvailable().await().atMost(Duration.ofSeconds(5)));

        server.stop();
        await().atMost(Duration.ofSeconds(5)).until(() -> !subscriber.isAvailable().await().atMost(Duration.ofSeconds(5)));
        try {
            publish(publisher, topic, 1);
            throw new AssertionError("publish succeeded while Redis was down");
        } catch (BrokerUnavailableException expected) {
            // the caller answers 503
        }

        server.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> subscriber.isAvailable().await().atMost(Duration.ofSeconds(5)));
        publish(publisher, topic, 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 2);
        assertEquals("{\"seq\":2}", recorder.events().get(1).data());
        assertTrue(recorder.lost().isEmpty());
    }

    @Test
    void moreEventsThanTheRetentionDuringTheDropTellTheListenerHistoryWasLost() {
        // The publisher logs in as its own ACL user, so the subscriber (default user) can be locked
        // out while the topic's history moves past what it had.
        server.command("ACL", "SETUSER", "publisher", "on", ">secret", "~*", "&*", "+@all");
        Redis admin = redis.client(new RedisOptions()
                .setConnectionString("redis://publisher:secret@127.0.0.1:" + server.port()));
        RedisBroker publisher = brokerOn(admin, 20, Duration.ofHours(1));
        RedisBroker subscriber = broker(20);
        BrokerRecorder recorder = new BrokerRecorder();
        subscriber.setListener(recorder);
        Topic topic = Topic.of("gap:lost");
        subscriber.subscribe(topic).await().atMost(Duration.ofSeconds(5));
        publish(publisher, topic, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events().size() == 1);

        send(admin, "ACL", "SETUSER", "default", "off");
        send(admin, "CLIENT", "KILL", "USER", "default");
        for (int i = 1; i <= 100; i++) {
            publish(publisher, topic, i);
        }
        send(admin, "ACL", "SETUSER", "default", "on");

        await().atMost(Duration.ofSeconds(10)).until(() -> !recorder.lost().isEmpty());
        assertEquals(List.of(topic), recorder.lost(), "the listener must learn that history was lost");
        assertTrue(recorder.events().size() <= 21, "only retained events can be filled");
    }

    @Test
    void aPositionIntoATopicWhoseStreamExpiredWhileIdleReadsAsTruncated() {
        Redis client = redis.client(new RedisOptions().setConnectionString(server.url()));
        RedisBroker broker = brokerOn(client, 100, Duration.ofMillis(300));
        Topic topic = Topic.of("idle:t");
        EventId seen = publish(broker, topic, 1);
        publish(broker, topic, 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> ":0".equals(server.command("EXISTS", "fault:{idle:t}:s")));
        EventId third = publish(broker, topic, 3);
        var page = broker.read(topic, seen, 10).await().atMost(Duration.ofSeconds(5));
        assertTrue(page.truncated(), "event 2 expired with the idle stream: the resume must get a reset");
        var fromThird = broker.read(topic, third, 10).await().atMost(Duration.ofSeconds(5));
        assertTrue(!fromThird.truncated() && fromThird.events().isEmpty());
    }

    private static void send(Redis client, String command, String... args) {
        io.vertx.redis.client.Request request = io.vertx.redis.client.Request.cmd(
                io.vertx.redis.client.Command.create(command));
        for (String a : args) {
            request.arg(a);
        }
        client.send(request).toCompletionStage().toCompletableFuture().join();
    }
}
