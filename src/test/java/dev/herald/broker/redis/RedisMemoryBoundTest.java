package dev.herald.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.support.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What bounds Herald's data in Redis: Redis's own {@code maxmemory} and eviction policy (checked and
 * warned about at startup), a full Redis refusing publishes, and each topic's byte count kept by the
 * scripts through every kind of trim.
 */
class RedisMemoryBoundTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static RedisServer server;
    private static Vertx vertx;

    private final List<Redis> clients = new ArrayList<>();
    private final List<RedisBroker> brokers = new ArrayList<>();
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private String prefix;

    @BeforeAll
    static void startRedis() {
        server = RedisServer.startNew();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopRedis() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
        server.close();
    }

    @BeforeEach
    void captureLog() {
        prefix = "mb" + UUID.randomUUID().toString().substring(0, 8) + ":";
        Logger.getLogger(RedisBroker.class.getName()).addHandler(capture);
    }

    @AfterEach
    void release() {
        Logger.getLogger(RedisBroker.class.getName()).removeHandler(capture);
        brokers.forEach(RedisBroker::close);
        clients.forEach(Redis::close);
        server.command("CONFIG", "SET", "maxmemory", "0");
        server.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
    }

    private RedisBroker broker(Duration maxAge) {
        Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(server.url()));
        clients.add(client);
        RedisBroker broker = new RedisBroker(vertx, client, new RedisBrokerSettings(prefix,
                new Retention(100, maxAge, 1000, Duration.ofMinutes(5)), TIMEOUT, Duration.ofHours(1), false),
                BrokerMetrics.NONE);
        brokers.add(broker);
        return broker;
    }

    private static PublishResult publish(RedisBroker broker, Topic topic, String data, String key) {
        return broker.publish(new PublishRequest(topic, "message", data, key)).await().atMost(TIMEOUT);
    }

    private List<String> warnings() {
        return logged.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogRecord::getMessage).toList();
    }

    /**
     * Starts a broker as the node does (the memory policy checked at startup), waits for its pub/sub
     * connection, then lets readiness probes ask a few more times.
     */
    private void startAndProbe() {
        RedisBroker broker = broker(Duration.ofHours(1));
        broker.checkMemoryPolicy().await().atMost(TIMEOUT);
        Awaitility.await().atMost(TIMEOUT).until(() -> broker.isAvailable().await().atMost(TIMEOUT));
        for (int i = 0; i < 3; i++) {
            assertTrue(broker.isAvailable().await().atMost(TIMEOUT));
        }
    }

    @Test
    void aRedisWithoutMaxmemoryIsWarnedAboutOnce() {
        startAndProbe();
        Awaitility.await().atMost(TIMEOUT).until(() -> !warnings().isEmpty());
        assertEquals(1, warnings().size(), "one warning, not one per probe: " + warnings());
        assertTrue(warnings().get(0).contains("maxmemory is 0"), warnings().get(0));
        assertTrue(warnings().get(0).contains("noeviction"), "it says what to set: " + warnings().get(0));
    }

    /** Every key Herald writes has a TTL, so even volatile-lru may drop a topic's stream. */
    @Test
    void aMaxmemoryPolicyThatEvictsKeysIsWarnedAbout() {
        server.command("CONFIG", "SET", "maxmemory", "512mb");
        server.command("CONFIG", "SET", "maxmemory-policy", "volatile-lru");
        startAndProbe();
        Awaitility.await().atMost(TIMEOUT).until(() -> !warnings().isEmpty());
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("maxmemory-policy is volatile-lru"), warnings().get(0));
        assertFalse(warnings().get(0).contains("maxmemory is 0"), warnings().get(0));
    }

    @Test
    void aBoundedRedisThatRefusesWritesWhenFullIsNotWarnedAbout() {
        server.command("CONFIG", "SET", "maxmemory", "512mb");
        startAndProbe();
        Awaitility.await().atMost(TIMEOUT).until(() -> logged.stream()
                .anyMatch(r -> r.getMessage().contains("policy noeviction")));
        assertEquals(List.of(), warnings());
    }

    /** A full Redis with noeviction refuses the script's first write: nothing of the publish is stored. */
    @Test
    void aPublishThatAFullRedisRefusesFailsAsUnavailableAndStoresNothing() {
        RedisBroker broker = broker(Duration.ofHours(1));
        Topic topic = Topic.of("room:full");
        EventId stored = publish(broker, topic, "1", null).id();
        server.command("CONFIG", "SET", "maxmemory", "1");

        assertThrows(BrokerUnavailableException.class, () -> publish(broker, topic, "2", "k"));
        assertThrows(BrokerUnavailableException.class, () -> publish(broker, Topic.of("room:new"), "3", null));

        server.command("CONFIG", "SET", "maxmemory", "0");
        assertEquals(List.of(stored), broker.read(topic, EventId.ZERO, 10).await().atMost(TIMEOUT).events()
                .stream().map(e -> e.id()).toList());
        assertFalse(publish(broker, topic, "2", "k").duplicate(), "the refused publish left no idempotency key");
        assertEquals(EventId.ZERO, broker.read(Topic.of("room:new"), EventId.ZERO, 10).await().atMost(TIMEOUT).head(),
                "the refused publish to a new topic left no head");
    }

    /**
     * A read trims entries past max age, which writes: a full Redis refuses that write, and the read
     * must still answer (untrimmed, floor unchanged) rather than fail while Redis is full.
     */
    @Test
    void historyStaysReadableWhileAFullRedisRefusesTheAgeTrim() {
        RedisBroker broker = broker(Duration.ofMillis(300));
        Topic topic = Topic.of("room:full-read");
        List<EventId> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(publish(broker, topic, String.valueOf(i), null).id());
        }
        server.command("CONFIG", "SET", "maxmemory", "1");
        long aged = ids.get(2).millis() + 300; // ids are Redis's clock, the same machine's as this one
        Awaitility.await().atMost(TIMEOUT).until(() -> System.currentTimeMillis() > aged + 50);

        var page = broker.read(topic, EventId.ZERO, 10).await().atMost(TIMEOUT);
        assertEquals(ids, page.events().stream().map(e -> e.id()).toList(), "served as stored, nothing trimmed");
        assertFalse(page.truncated(), "the floor did not move: no reset for events still there");

        server.command("CONFIG", "SET", "maxmemory", "0");
        var trimmed = broker.read(topic, EventId.ZERO, 10).await().atMost(TIMEOUT);
        assertEquals(List.of(), trimmed.events(), "with room again, the age trim happens");
        assertTrue(trimmed.truncated());
    }

    @Test
    void entriesDroppedByAgeWhenHistoryIsReadGiveTheirBytesBack() {
        RedisBroker broker = broker(Duration.ofMillis(300));
        Topic topic = Topic.of("room:aging");
        for (int i = 0; i < 3; i++) {
            publish(broker, topic, "\"" + "x".repeat(1000) + "\"", null);
        }
        assertTrue(bytes(topic) > 3000);
        Awaitility.await().atMost(TIMEOUT).until(() ->
                broker.read(topic, EventId.ZERO, 10).await().atMost(TIMEOUT).events().isEmpty());
        assertEquals(0, bytes(topic));
    }

    /**
     * A publish drops the entries past max age as each ages, though it reads the stream for them only when
     * the meta's mark of the oldest entry says one may be that old: after the oldest goes, the next is
     * looked up, and goes in its turn.
     */
    @Test
    void publishesDropEntriesPastMaxAgeOneByOneAsTheyAge() {
        long maxAge = 3000; // b is published at half of it: 1.5 s of slack for a slow machine between steps
        RedisBroker broker = broker(Duration.ofMillis(maxAge));
        Topic topic = Topic.of("room:aging-by-publish");
        EventId a = publish(broker, topic, "\"a\"", null).id();
        untilPast(a.millis() + maxAge / 2);
        EventId b = publish(broker, topic, "\"b\"", null).id();
        untilPast(a.millis() + maxAge);
        EventId c = publish(broker, topic, "\"c\"", null).id();
        HistoryPage page = broker.read(topic, EventId.ZERO, 10).await().atMost(TIMEOUT);
        assertEquals(List.of(b, c), page.events().stream().map(e -> e.id()).toList(), "a aged out, b did not yet");
        assertTrue(page.truncated(), "the floor moved past a: a cursor before it gets a reset");
        assertEquals(2 * (2 + "message".length() + 3 + 40), bytes(topic), "a's bytes given back");
        untilPast(b.millis() + maxAge);
        EventId d = publish(broker, topic, "\"d\"", null).id();
        assertEquals(List.of(c, d), broker.read(topic, EventId.ZERO, 10).await().atMost(TIMEOUT).events().stream()
                .map(e -> e.id()).toList(), "b aged out at the next publish");
    }

    /** Waits until the clock (Redis's is this machine's) is past {@code millis}. */
    private static void untilPast(long millis) {
        Awaitility.await().atMost(TIMEOUT.multipliedBy(2)).until(() -> System.currentTimeMillis() > millis + 20);
    }

    /** A topic written before bytes were counted (or whose count was lost) is counted on its next publish. */
    @Test
    void aStreamWithoutAByteCountIsCountedInFullOnItsNextPublish() {
        RedisBroker broker = broker(Duration.ofHours(1));
        Topic topic = Topic.of("room:uncounted");
        for (int i = 0; i < 5; i++) {
            publish(broker, topic, "\"" + "y".repeat(500) + "\"", null);
        }
        long counted = bytes(topic);
        server.command("HDEL", prefix + "{" + topic.name() + "}:m", "b");
        publish(broker, topic, "1", null);
        assertEquals(counted + 2 + "message".length() + 1 + 40, bytes(topic));
    }

    private long bytes(Topic topic) {
        String b = server.command("HGET", prefix + "{" + topic.name() + "}:m", "b");
        return b == null ? -1 : Long.parseLong(b);
    }
}
