package dev.herald.transport.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.event.EventId;
import dev.herald.support.HttpApi;
import dev.herald.support.Profiles;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The resume handoff (register live, replay history after the cursor, then deliver only newer live
 * events) under load: publishers publish in tight loops from several threads while subscribers
 * disconnect and resume with their last id over and over. Every subscriber must end up with every
 * sequence number of every publisher of its topics exactly once, in order, and per-topic ids must be
 * strictly increasing. A gap or a duplicate at any of the hundreds of handoffs fails the test.
 */
@QuarkusTest
@TestProfile(Profiles.LongHistory.class)
class ResumeUnderConcurrentPublishingTest {

    /** History long enough that no resume hits retention: this test is about the handoff only. */
    static final int PUBLISHERS = 4;
    static final int EVENTS_PER_PUBLISHER = 600;
    static final int SUBSCRIBERS = 8;

    @TestHTTPResource("/")
    URI base;

    private final ObjectMapper mapper = new ObjectMapper();

    record Received(String topic, EventId id, int publisher, int seq) {
    }

    @Test
    void everySubscriberGetsEverySequenceNumberExactlyOnceInOrderAcrossResumes() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> topics = List.of("load:" + run + ":a", "load:" + run + ":b");
        String token = TestTokens.admin();
        AtomicBoolean publishing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(PUBLISHERS + SUBSCRIBERS);
        try {
            // Subscribers connect first and take their initial cursor, so they owe every event.
            List<Future<List<Received>>> subscribers = new ArrayList<>();
            List<List<String>> subscribed = new ArrayList<>();
            List<java.util.concurrent.CountDownLatch> connected = new ArrayList<>();
            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<String> mine = s % 2 == 0 ? List.of(topics.get(0)) : topics;
                subscribed.add(mine);
                var ready = new java.util.concurrent.CountDownLatch(1);
                connected.add(ready);
                int seed = s;
                subscribers.add(pool.submit(() -> subscribe(mine, token, expected(mine, topics), ready, seed)));
            }
            for (var ready : connected) {
                assertTrue(ready.await(20, TimeUnit.SECONDS), "subscriber did not connect");
            }
            HttpApi.publishConcurrently(pool, token, topics, PUBLISHERS, EVENTS_PER_PUBLISHER);
            publishing.set(false);
            for (int s = 0; s < SUBSCRIBERS; s++) {
                List<Received> got = subscribers.get(s).get(120, TimeUnit.SECONDS);
                check(s, subscribed.get(s), topics, got);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Events subscriber must receive: all of every publisher that publishes to one of its topics. */
    private static int expected(List<String> mine, List<String> all) {
        int n = 0;
        for (int p = 0; p < PUBLISHERS; p++) {
            if (mine.contains(all.get(p % all.size()))) {
                n += EVENTS_PER_PUBLISHER;
            }
        }
        return n;
    }

    /**
     * Reads a random handful of events, disconnects, resumes with the id of the last frame it
     * consumed; repeats until it has all it is owed (or a bounded time passes).
     */
    private List<Received> subscribe(List<String> topics, String token, int owed,
                                     java.util.concurrent.CountDownLatch connected, int seed) throws Exception {
        Random random = new Random(seed);
        List<Received> received = new ArrayList<>();
        String lastId = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        int reconnects = 0;
        while (received.size() < owed && System.nanoTime() < deadline) {
            try (SseClient client = SseClient.open(base, topics, token, lastId)) {
                assertEquals(200, client.status(), client.errorBody());
                SseClient.Frame preamble = client.next(Duration.ofSeconds(10));
                assertNotNull(preamble, "no preamble");
                assertNotNull(preamble.id(), "the preamble carries the starting cursor");
                lastId = preamble.id();
                connected.countDown();
                int budget = 1 + random.nextInt(60);
                while (budget-- > 0 && received.size() < owed) {
                    SseClient.Frame f = client.nextEvent(Duration.ofSeconds(10));
                    if (f == null) {
                        break;
                    }
                    if (f.event().startsWith("herald.")) {
                        fail("unexpected server notice " + f.event() + ": " + f.data());
                    }
                    JsonNode envelope = mapper.readTree(f.data());
                    received.add(new Received(envelope.get("topic").asText(),
                            EventId.parse(envelope.get("id").asText()),
                            envelope.get("data").get("p").asInt(), envelope.get("data").get("n").asInt()));
                    lastId = f.id();
                }
            }
            reconnects++;
        }
        System.out.printf("subscriber %d: %d events over %d connections%n", seed, received.size(), reconnects);
        return received;
    }

    private static void check(int subscriber, List<String> mine, List<String> all, List<Received> got) {
        Map<Integer, Integer> nextSeq = new HashMap<>();
        Map<String, EventId> lastIdPerTopic = new HashMap<>();
        for (Received r : got) {
            assertTrue(mine.contains(r.topic()), "subscriber " + subscriber + " got a foreign topic " + r.topic());
            int expectedSeq = nextSeq.getOrDefault(r.publisher(), 0);
            assertEquals(expectedSeq, r.seq(), "subscriber " + subscriber + ", publisher " + r.publisher()
                    + ": " + (r.seq() < expectedSeq ? "duplicate" : "gap") + " at sequence " + expectedSeq);
            nextSeq.put(r.publisher(), expectedSeq + 1);
            EventId previous = lastIdPerTopic.put(r.topic(), r.id());
            assertTrue(previous == null || r.id().isAfter(previous),
                    "ids not strictly increasing in " + r.topic());
        }
        for (int p = 0; p < PUBLISHERS; p++) {
            if (mine.contains(all.get(p % all.size()))) {
                assertEquals(EVENTS_PER_PUBLISHER, nextSeq.getOrDefault(p, 0),
                        "subscriber " + subscriber + " is missing events of publisher " + p);
            }
        }
    }
}
