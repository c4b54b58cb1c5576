package dev.herald.broker.redis;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.PublishOutcomeUnknownException;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.broker.Retention;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.support.BlackholeProxy;
import dev.herald.support.RedisBrokers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.impl.VertxInternal;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commands sent from an event loop go through a Redis client made on that loop; commands from other threads
 * through the shared client. Against a real redis-server, and through a proxy that can black-hole the
 * connection, to show that a loop's own pool keeps the deadlines' guarantees.
 */
class LoopClientsTest {

    private RedisBrokers redis;
    private BlackholeProxy proxy;
    private final List<String> madeOn = new CopyOnWriteArrayList<>();
    private final List<String> closed = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        redis = RedisBrokers.start();
        proxy = BlackholeProxy.to(redis.server().port());
    }

    @AfterEach
    void stop() {
        redis.close();
        proxy.close();
    }

    /** A broker with deadlines of {@code deadline}. */
    private RedisBroker broker(String url, Duration deadline) {
        RedisOptions options = new RedisOptions().setConnectionString(url).setMaxPoolSize(4).setMaxPoolWaiting(100);
        Supplier<Redis> factory = () -> {
            madeOn.add(Thread.currentThread().getName());
            String loop = Thread.currentThread().getName();
            Redis client = Redis.createClient(redis.vertx(), options);
            return new Redis() { // records its closing
                @Override
                public Future<RedisConnection> connect() {
                    return client.connect();
                }

                @Override
                public void close() {
                    closed.add(loop);
                    client.close();
                }

                @Override
                public Future<Response> send(Request request) {
                    return client.send(request);
                }

                @Override
                public Future<List<Response>> batch(List<Request> requests) {
                    return client.batch(requests);
                }
            };
        };
        return redis.broker(redis.client(options), factory, new RedisBrokerSettings("loops:",
                new Retention(1000, Duration.ofHours(1), 1000, Duration.ofMinutes(5)),
                deadline, Duration.ofHours(1), false).withPublishTimeout(deadline), BrokerMetrics.NONE);
    }

    /** Event-loop contexts on {@code n} different loops. */
    private List<Context> loops(int n) {
        List<Context> contexts = new ArrayList<>();
        Set<Object> seen = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 64 && contexts.size() < n; i++) {
            Context context = ((VertxInternal) redis.vertx()).createEventLoopContext(); // the loops in turn
            if (seen.add(threadOf(context))) {
                contexts.add(context);
            }
        }
        assertEquals(n, contexts.size(), "Vert.x has " + n + " event loops");
        return contexts;
    }

    private static String threadOf(Context context) {
        CompletableFuture<String> name = new CompletableFuture<>();
        context.runOnContext(v -> name.complete(Thread.currentThread().getName()));
        return name.join();
    }

    /** Publishes from {@code context}; completes with the thread the answer arrived on, or the failure. */
    private static CompletableFuture<String> publishOn(Context context, RedisBroker broker, Topic topic, int seq) {
        CompletableFuture<String> answered = new CompletableFuture<>();
        context.runOnContext(v -> broker.publish(new PublishRequest(topic, "seq", "{\"seq\":" + seq + "}", "k" + seq))
                .subscribe().with(r -> answered.complete(Thread.currentThread().getName()),
                        answered::completeExceptionally));
        return answered;
    }

    @Test
    void eachEventLoopGetsItsOwnClientMadeOnItAndOtherThreadsUseTheSharedOne() throws Exception {
        RedisBroker broker = broker(redis.server().url(), Duration.ofSeconds(5));
        Topic topic = Topic.of("loops:each");
        List<Context> contexts = loops(2);

        for (int round = 0; round < 3; round++) {
            for (Context context : contexts) {
                String loop = threadOf(context);
                assertEquals(loop, publishOn(context, broker, topic, round * 10 + contexts.indexOf(context))
                        .get(5, TimeUnit.SECONDS), "the answer arrives on the loop that asked");
            }
        }
        assertEquals(contexts.stream().map(LoopClientsTest::threadOf).toList(), madeOn,
                "one client per loop, made on that loop at its first command, none after");

        PublishResult fromTest = broker.publish(new PublishRequest(topic, "seq", "{\"seq\":99}", null))
                .await().atMost(Duration.ofSeconds(5));
        assertTrue(fromTest.id() != null);
        assertEquals(2, madeOn.size(), "a command from a thread that is no event loop uses the shared client");
        assertEquals(7, broker.read(topic, EventId.ZERO, 100).await().atMost(Duration.ofSeconds(5)).events().size());
    }

    @Test
    void aLoopsOwnClientKeepsTheDeadlinesGuaranteesThroughAHalfOpenConnection() throws Exception {
        RedisBroker broker = broker(proxy.url(), Duration.ofMillis(500));
        Topic topic = Topic.of("loops:halfopen");
        Context loop = loops(1).get(0);
        publishOn(loop, broker, topic, 0).get(5, TimeUnit.SECONDS);

        proxy.blackhole();
        ExecutionException unknown = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> publishOn(loop, broker, topic, 1).get(5, TimeUnit.SECONDS));
        assertInstanceOf(PublishOutcomeUnknownException.class, unknown.getCause(),
                "written to a connection that never answers: the outcome is unknown");
        proxy.heal();

        // The retry with the same key goes through a fresh connection of the loop's client, not the dead one.
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> publishOn(loop, broker, topic, 1).get(2, TimeUnit.SECONDS) != null);
        List<Event> history = broker.read(topic, EventId.ZERO, 100).await().atMost(Duration.ofSeconds(5)).events();
        assertEquals(List.of("{\"seq\":0}", "{\"seq\":1}"), history.stream().map(Event::data).toList(),
                "the retried event is stored once");
        String name = threadOf(loop);
        assertEquals(1, madeOn.stream().filter(name::equals).count(), "the loop kept its one client");
    }

    @Test
    void closingTheBrokerClosesTheLoopsClients() throws Exception {
        RedisBroker broker = broker(redis.server().url(), Duration.ofSeconds(5));
        List<Context> contexts = loops(2);
        for (Context context : contexts) {
            publishOn(context, broker, Topic.of("loops:close"), contexts.indexOf(context)).get(5, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), closed);

        broker.close();

        assertEquals(Set.copyOf(madeOn), Set.copyOf(closed), "each loop's client is closed with the broker");
        assertEquals(2, closed.size());
    }
}
