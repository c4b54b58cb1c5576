package dev.herald.transport.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.event.EventId;
import dev.herald.support.HttpApi;
import dev.herald.support.PollClient;
import dev.herald.support.PollClient.Answer;
import dev.herald.support.Profiles;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Chains of polls while publishers publish from several threads: each poll opens a subscription from
 * the previous answer's cursor (replay, then live), returns a page of at most 10 events and drops what
 * it did not return. Every poller must end up with every sequence number of every publisher of its
 * topics exactly once, in order, with strictly increasing ids per topic. A gap or duplicate at any of
 * the hundreds of handoffs or page cuts fails the test.
 */
@QuarkusTest
@TestProfile(Profiles.LongHistory.class)
class PollUnderConcurrentPublishingTest {

    /** Small pages, so that most answers leave queued events behind; history long enough for no reset. */
    static final int PUBLISHERS = 4;
    static final int EVENTS_PER_PUBLISHER = 400;
    static final int POLLERS = 6;

    @TestHTTPResource("/")
    URI base;

    record Received(String topic, EventId id, int publisher, int seq) {
    }

    @Test
    void everyPollerGetsEverySequenceNumberExactlyOnceInOrderAcrossPolls() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> topics = List.of("pload:" + run + ":a", "pload:" + run + ":b");
        String token = TestTokens.admin();
        ExecutorService pool = Executors.newFixedThreadPool(PUBLISHERS + POLLERS);
        try {
            List<Future<List<Received>>> pollers = new ArrayList<>();
            List<List<String>> subscribed = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(POLLERS);
            for (int s = 0; s < POLLERS; s++) {
                List<String> mine = s % 2 == 0 ? List.of(topics.get(0)) : topics;
                subscribed.add(mine);
                int seed = s;
                pollers.add(pool.submit(() -> pollChain(mine, token, expected(mine, topics), started, seed)));
            }
            assertTrue(started.await(20, TimeUnit.SECONDS), "pollers did not take their first cursor");
            HttpApi.publishConcurrently(pool, token, topics, PUBLISHERS, EVENTS_PER_PUBLISHER);
            for (int s = 0; s < POLLERS; s++) {
                check(s, subscribed.get(s), topics, pollers.get(s).get(120, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

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
     * Takes a starting cursor, then polls from each answer's cursor until it has all it is owed (or a
     * bounded time passes), with a random timeout of 0 (answer at once) to 2 seconds.
     */
    private List<Received> pollChain(List<String> topics, String token, int owed, CountDownLatch started, int seed) {
        Random random = new Random(seed);
        String cursor = PollClient.to(base, topics).token(token).timeout(0).send().ok().cursor();
        started.countDown();
        List<Received> received = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
        int polls = 0;
        while (received.size() < owed && System.nanoTime() < deadline) {
            Answer answer = PollClient.to(base, topics).token(token).cursor(cursor).timeout(random.nextInt(3))
                    .send().ok();
            polls++;
            for (Map<String, Object> e : answer.events()) {
                if (((String) e.get("type")).startsWith("herald.")) {
                    fail("unexpected server notice " + e);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> data = (Map<String, Object>) e.get("data");
                received.add(new Received((String) e.get("topic"), EventId.parse((String) e.get("id")),
                        (Integer) data.get("p"), (Integer) data.get("n")));
            }
            cursor = answer.cursor();
        }
        System.out.printf("poller %d: %d events over %d polls%n", seed, received.size(), polls);
        return received;
    }

    private static void check(int poller, List<String> mine, List<String> all, List<Received> got) {
        Map<Integer, Integer> nextSeq = new HashMap<>();
        Map<String, EventId> lastIdPerTopic = new HashMap<>();
        for (Received r : got) {
            assertTrue(mine.contains(r.topic()), "poller " + poller + " got a foreign topic " + r.topic());
            int expectedSeq = nextSeq.getOrDefault(r.publisher(), 0);
            assertEquals(expectedSeq, r.seq(), "poller " + poller + ", publisher " + r.publisher()
                    + ": " + (r.seq() < expectedSeq ? "duplicate" : "gap") + " at sequence " + expectedSeq);
            nextSeq.put(r.publisher(), expectedSeq + 1);
            EventId previous = lastIdPerTopic.put(r.topic(), r.id());
            assertTrue(previous == null || r.id().isAfter(previous), "ids not strictly increasing in " + r.topic());
        }
        for (int p = 0; p < PUBLISHERS; p++) {
            if (mine.contains(all.get(p % all.size()))) {
                assertEquals(EVENTS_PER_PUBLISHER, nextSeq.getOrDefault(p, 0),
                        "poller " + poller + " is missing events of publisher " + p);
            }
        }
    }
}
