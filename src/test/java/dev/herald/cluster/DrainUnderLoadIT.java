package dev.herald.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.event.EventId;
import dev.herald.support.HeraldNodes;
import dev.herald.support.MovingSubscriber;
import dev.herald.support.SseClient;
import dev.herald.support.SteadyPublisher;
import dev.herald.support.SteadyPublisher.Outcome;
import dev.herald.support.SteadyPublisher.Publish;
import dev.herald.support.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The drain as Kubernetes runs it, under load: two packaged nodes on one Redis, 200 SSE and 50
 * WebSocket subscribers on node B (plus a few that arrive at B during its drain delay, as they would
 * before the endpoints update), publishers posting to both nodes at a steady rate; then SIGTERM to B.
 *
 * <p>B must turn readiness DOWN at once while it goes on streaming and accepting publishes for the
 * drain delay; then tell every connection to go, spread over the spread window, each with a jittered
 * reconnect hint; every subscriber resumes on A with its cursor and ends with every accepted event of
 * its topics exactly once, in order; publishes sent to B are either accepted and delivered or refused;
 * B exits by itself well within its shutdown timeout. The figures (timeline, distributions) are printed.
 */
class DrainUnderLoadIT {

    private static final Duration DRAIN_DELAY = Duration.ofSeconds(2);
    private static final Duration SPREAD = Duration.ofSeconds(5);
    private static final Duration RETRY = Duration.ofSeconds(2);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    private static final int SSE = 200;
    private static final int WS = 50;
    private static final int LATE_SSE = 10;
    private static final int LATE_WS = 5;
    private static final int RATE_PER_NODE = 30;
    private static final List<String> TOPICS = List.of("load:0", "load:1", "load:2", "load:3", "load:4");
    private static final Duration LIFETIME = Duration.ofSeconds(150);
    /**
     * No second may hold more than this share of the reconnect attempts. The go-aways are spread over
     * 5s and each hint is jittered over another 5s, so at the peak a second holds about 1/5 of them; a
     * stampede puts them all in one. A third leaves room for scheduling noise on a loaded machine and
     * still proves the spread.
     */
    private static final double MAX_SHARE_PER_SECOND = 1.0 / 3;
    /**
     * The same for the reconnects as established on A: they follow the attempts, plus however long A
     * takes to answer, which on a machine shared with other loads comes in bursts; half still rules
     * out a stampede.
     */
    private static final double MAX_SHARE_ESTABLISHED = 1.0 / 2;

    /** Subscriber {@code i}'s topics: one of five, and every fourth one a second topic as well. */
    private static List<String> topicsOf(int i) {
        String first = TOPICS.get(i % TOPICS.size());
        return i % 4 == 3 ? List.of(first, TOPICS.get((i + 1) % TOPICS.size())) : List.of(first);
    }

    @Test
    void sigtermUnderLoadMovesEverySubscriberToTheOtherNodeSpreadOverTheWindowWithoutLossOrDuplicate()
            throws Exception {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).executor(executor).build();
        List<MovingSubscriber> subscribers = new ArrayList<>();
        List<SteadyPublisher> publishers = new ArrayList<>();
        try (HeraldNodes cluster = HeraldNodes.start("drain", Map.of(
                "herald.shutdown.drain-delay", DRAIN_DELAY.toMillis() + "ms",
                "herald.shutdown.spread", SPREAD.toMillis() + "ms",
                "herald.sse.retry", RETRY.toMillis() + "ms",
                "quarkus.shutdown.timeout", SHUTDOWN_TIMEOUT.toSeconds() + "s",
                // The test machine is shared and small: a node starved of CPU for a moment must not
                // turn publishes into 504s nor refuse resumptions, nor take its pub/sub connection for
                // half-open. Slow Redis answers are the broker tests' subject (RedisBrokerFaultTest,
                // RedisHalfOpenTest, RedisPublishOutcomeTest), not this one's.
                "herald.redis.command-timeout", "10s",
                "herald.redis.publish-timeout", "10s",
                "herald.redis.ping-timeout", "10s",
                // Broker failures (timeouts) are logged at DEBUG only.
                "quarkus.log.category.\"dev.herald.broker\".level", "DEBUG"))) {
            try {
                URI a = cluster.a().base();
                URI b = cluster.b().base();
                String admin = TestTokens.admin();

                // Positions before the first publish, for the subscribers that only arrive during the drain.
                Map<List<String>, String> startCursors = new HashMap<>();
                for (int i = 0; i < LATE_SSE + LATE_WS; i++) {
                    startCursors.computeIfAbsent(topicsOf(i), topics -> startCursor(a, topics, admin));
                }

                long connecting = System.nanoTime();
                for (int i = 0; i < SSE; i++) {
                    subscribers.add(MovingSubscriber.sse("sse-" + i, b, a, topicsOf(i), admin, null, LIFETIME));
                }
                for (int i = 0; i < WS; i++) {
                    // One user per WebSocket: the per-user connection limit stays as configured.
                    subscribers.add(MovingSubscriber.ws(http, "ws-" + i, b, a, topicsOf(i), wsToken("ws-" + i), null,
                            LIFETIME));
                }
                for (MovingSubscriber s : subscribers) {
                    assertTrue(s.awaitConnected(Duration.ofSeconds(30)),
                            s.name() + " did not connect: " + s.problems());
                }
                int early = subscribers.size();
                System.out.printf("DRAIN setup: %d subscribers connected to B in %d ms%n", early,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connecting));

                ReadinessProbe probe = new ReadinessProbe(http, cluster.b().management());
                SteadyPublisher toA = new SteadyPublisher(http, "A", a, TOPICS, admin, RATE_PER_NODE);
                SteadyPublisher toB = new SteadyPublisher(http, "B", b, TOPICS, admin, RATE_PER_NODE);
                publishers.addAll(List.of(toA, toB));
                await().atMost(Duration.ofSeconds(20)).until(() -> toB.sent() >= 2L * RATE_PER_NODE);
                long signalled = System.nanoTime();
                cluster.b().process().destroy(); // SIGTERM
                // Arrivals during the drain delay, before the load balancer stops sending to B.
                for (int i = 0; i < LATE_SSE; i++) {
                    subscribers.add(MovingSubscriber.sse("late-sse-" + i, b, a, topicsOf(i), admin,
                            startCursors.get(topicsOf(i)), LIFETIME));
                }
                for (int i = 0; i < LATE_WS; i++) {
                    int k = LATE_SSE + i;
                    subscribers.add(MovingSubscriber.ws(http, "late-ws-" + i, b, a, topicsOf(k),
                            wsToken("late-ws-" + i), startCursors.get(topicsOf(k)), LIFETIME));
                }

                boolean exited = cluster.b().process().waitFor(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                long exitedAt = System.nanoTime();
                probe.stop();
                assertTrue(exited, "node B did not exit within quarkus.shutdown.timeout");
                int exitCode = cluster.b().process().exitValue();
                try {
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> subscribers.stream().allMatch(s -> s.reconnectAt() > 0));
                } catch (ConditionTimeoutException e) {
                    // Asserted below, after the figures are printed.
                }
                // A second more of load on A with everyone moved, then stop and collect every answer.
                long more = toA.sent() + RATE_PER_NODE;
                await().atMost(Duration.ofSeconds(10)).until(() -> toA.sent() >= more);
                toA.close();
                toB.close();

                List<Publish> publishes = Stream.concat(toA.results().stream(), toB.results().stream()).toList();
                Map<String, Publish> byKey = publishes.stream().collect(Collectors.toMap(Publish::key, p -> p));
                Map<String, List<EventId>> expected = new HashMap<>();
                for (Publish p : publishes) {
                    if (p.outcome() == Outcome.ACCEPTED) {
                        expected.computeIfAbsent(p.topic(), t -> new ArrayList<>()).add(p.id());
                    }
                }
                expected.values().forEach(ids -> ids.sort(null));
                try {
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> subscribers.stream().allMatch(s -> complete(s, expected)));
                } catch (ConditionTimeoutException e) {
                    // Counted as lost below, after the figures are printed.
                }

                Report report = verify(subscribers, expected, byKey);
                Timeline t = new Timeline(signalled);
                ReadinessProbe.Answer firstDown = probe.firstDown();
                long readinessDown = firstDown == null ? -1 : firstDown.answeredAt();
                List<MovingSubscriber> told = subscribers.stream().filter(s -> s.goAwayAt() > 0).toList();
                List<Long> goAways = t.millis(told, MovingSubscriber::goAwayAt);
                List<Long> hints = told.stream().map(MovingSubscriber::retryHint).sorted().toList();
                List<Long> attempts = t.millis(told, MovingSubscriber::attemptAt);
                List<Long> reconnects = t.millis(told, MovingSubscriber::reconnectAt);
                // How long after its hinted delay each subscriber was streaming on A again (client and A at work).
                List<Long> lags = told.stream().filter(s -> s.reconnectAt() > 0)
                        .map(s -> TimeUnit.NANOSECONDS.toMillis(s.reconnectAt() - s.goAwayAt()) - s.retryHint())
                        .sorted().toList();
                long firstGoAway = told.stream().mapToLong(MovingSubscriber::goAwayAt).min().orElse(-1);
                long lastGoAway = told.stream().mapToLong(MovingSubscriber::goAwayAt).max().orElse(-1);
                Map<Outcome, Long> onB = toB.results().stream()
                        .collect(Collectors.groupingBy(Publish::outcome, TreeMap::new, Collectors.counting()));
                Map<Outcome, Long> onA = toA.results().stream()
                        .collect(Collectors.groupingBy(Publish::outcome, TreeMap::new, Collectors.counting()));
                long drainDelayEnds = signalled + DRAIN_DELAY.toNanos();
                long acceptedByBInDrainDelay = count(toB.results(), p -> p.outcome() == Outcome.ACCEPTED
                        && p.sentAt() > signalled && p.sentAt() < drainDelayEnds);
                // Quarkus' own refusal while it stops (503 without Retry-After) may only come after the drain,
                // which ends after the last go-away, a whole spread after the first: publishes sent within
                // half a spread of the first go-away are taken.
                List<Publish> refusedWhileDraining = toB.results().stream().filter(p -> p.outcome() == Outcome.REFUSED
                        && p.detail().equals("no Retry-After") && p.sentAt() < firstGoAway + SPREAD.toNanos() / 2)
                        .toList();
                long acceptedByBInSpread = count(toB.results(), p -> p.outcome() == Outcome.ACCEPTED
                        && p.sentAt() >= firstGoAway);
                long lastAcceptedByB = toB.results().stream().filter(p -> p.outcome() == Outcome.ACCEPTED)
                        .mapToLong(Publish::doneAt).max().orElse(signalled);
                List<Publish> brokenOnB = toB.results().stream().filter(p -> p.outcome() == Outcome.BROKEN).toList();
                long brokenButStored = brokenOnB.stream().filter(p -> report.deliveredKeys.contains(p.key())).count();
                long refusedButStored = toB.results().stream().filter(p -> p.outcome() == Outcome.REFUSED)
                        .filter(p -> report.deliveredKeys.contains(p.key())).count();
                List<String> lateNotTold = subscribers.subList(early, subscribers.size()).stream()
                        .filter(s -> s.goAwayAt() < 0).map(s -> s.name() + " " + s.problems()).toList();

                System.out.printf("DRAIN timeline (ms after SIGTERM): readiness DOWN answered at %d (asked at %d; "
                                + "last UP answered at %d), first go-away %d, last go-away %d, B's last 202 %d, "
                                + "B exited at %d with code %d%n",
                        t.ms(readinessDown), firstDown == null ? -1 : t.ms(firstDown.sentAt()),
                        t.ms(probe.lastUpBefore(signalled)), t.ms(firstGoAway), t.ms(lastGoAway),
                        t.ms(lastAcceptedByB), t.ms(exitedAt), exitCode);
                System.out.printf("DRAIN publishes: A %s; B %s; B accepted of those sent during the drain delay %d, "
                                + "during the spread %d; B refused but stored %d; B broken %d (stored %d): %s%n",
                        onA, onB, acceptedByBInDrainDelay, acceptedByBInSpread, refusedButStored, brokenOnB.size(),
                        brokenButStored, brokenOnB.stream().limit(5).map(p -> "sent " + t.ms(p.sentAt()) + " failed "
                                + t.ms(p.doneAt()) + " " + p.detail()).toList());
                System.out.printf("DRAIN go-aways (%d; late arrivals refused with a retry instead: %d): %s; "
                                + "per 500ms: %s; max in any 1s: %d%n", goAways.size(), lateNotTold.size(), stats(goAways),
                        Timeline.histogram(goAways, 500), Timeline.maxInWindow(goAways, 1000));
                System.out.printf("DRAIN retry hints (ms): %s, %d distinct%n", stats(hints),
                        new HashSet<>(hints).size());
                System.out.printf("DRAIN reconnect attempts (go-away + hint): %s; per 500ms: %s; max in any 1s: %d%n",
                        stats(attempts), Timeline.histogram(attempts, 500), Timeline.maxInWindow(attempts, 1000));
                System.out.printf("DRAIN reconnects established on A: %s; per 500ms: %s; max in any 1s: %d; "
                                + "after the hint + %s ms%n", stats(reconnects), Timeline.histogram(reconnects, 500),
                        Timeline.maxInWindow(reconnects, 1000), stats(lags));
                System.out.printf("DRAIN: published=%d accepted=%d (A %d, B %d) refusedB=%d (503 %d, unreachable %d, "
                                + "broken %d) subscribers=%d (sse %d, ws %d, late %d) delivered=%d/%d lost=%d dup=%d "
                                + "out-of-order=%d goaway-span=%dms reconnects per 500ms: %s exit=%d after %dms%n",
                        publishes.size(),
                        onA.getOrDefault(Outcome.ACCEPTED, 0L) + onB.getOrDefault(Outcome.ACCEPTED, 0L),
                        onA.getOrDefault(Outcome.ACCEPTED, 0L), onB.getOrDefault(Outcome.ACCEPTED, 0L),
                        toB.results().size() - onB.getOrDefault(Outcome.ACCEPTED, 0L),
                        onB.getOrDefault(Outcome.REFUSED, 0L), onB.getOrDefault(Outcome.UNREACHABLE, 0L),
                        onB.getOrDefault(Outcome.BROKEN, 0L), subscribers.size(), SSE + LATE_SSE, WS + LATE_WS,
                        LATE_SSE + LATE_WS, report.delivered, report.expected, report.lost, report.duplicated,
                        report.outOfOrder, t.ms(lastGoAway) - t.ms(firstGoAway), Timeline.histogram(reconnects, 500),
                        exitCode, t.ms(exitedAt));
                subscribers.stream().filter(s -> !s.problems().isEmpty()).limit(20).forEach(s -> System.out.printf(
                        "DRAIN problems of %s (told to go at %d, on A at %d): %s%n", s.name(), t.ms(s.goAwayAt()),
                        t.ms(s.reconnectAt()), s.problems()));

                // No event lost, none twice, none out of order, none invented; no reset.
                assertTrue(report.failures.isEmpty(), String.join("\n", report.failures));
                assertEquals(0, report.lost, "lost events");
                assertEquals(0, report.duplicated, "duplicated events");
                assertEquals(0, report.outOfOrder, "events out of order");
                assertEquals(0, onA.getOrDefault(Outcome.UNEXPECTED, 0L) + onB.getOrDefault(Outcome.UNEXPECTED, 0L),
                        "unexpected publish answers: " + publishes.stream()
                                .filter(p -> p.outcome() == Outcome.UNEXPECTED).limit(3).toList());
                // A publish B answered must have been answered in full: none accepted (stored) and then cut off.
                assertEquals(0, brokenButStored, "publishes to B stored but their answer lost: " + brokenOnB);

                // Readiness DOWN from the first moment, while B goes on streaming and accepting publishes
                // for the drain delay. (When the answers came is the test machine's business: only their
                // order is asserted.)
                assertNotNull(firstDown, "readiness of B never reported shutting-down: " + probe.answers());
                assertTrue(readinessDown < lastGoAway, "readiness of B was not DOWN while it still had streams");
                assertEquals(List.of(), probe.upAfter(firstDown.sentAt()), "readiness of B came back UP");
                assertTrue(acceptedByBInDrainDelay > 0, "B accepted none of the publishes sent during its drain delay");
                assertEquals(List.of(), refusedWhileDraining, "B stopped taking publishes before its drain finished");
                for (MovingSubscriber s : subscribers.subList(0, early)) {
                    long streamedDuringDelay = s.received().stream()
                            .filter(r -> r.at() > signalled && r.at() < s.goAwayAt()).count();
                    assertTrue(streamedDuringDelay > 0, s.name() + " got nothing from B after the signal");
                }

                // Every connection open at the signal was told to go, and everyone (the late arrivals too:
                // told to go, or refused with a retry) resumed on A.
                for (MovingSubscriber s : subscribers.subList(0, early)) {
                    assertTrue(s.goAwayAt() > 0, s.name() + " was not told to go: " + s.notices() + " " + s.problems());
                }
                for (MovingSubscriber s : subscribers) {
                    assertTrue(s.reconnectAt() > 0 && s.reconnectAt() > s.goAwayAt(),
                            s.name() + " did not resume on A: " + s.problems());
                }
                assertTrue(t.ms(firstGoAway) >= DRAIN_DELAY.toMillis(),
                        "a connection was told to go before the drain delay");
                // Spread, not a stampede: the go-aways cover most of the window (as received: a node starved
                // of CPU for a moment delivers a few together, so their per-second share is only reported),
                // and no second holds a third of the reconnect attempts their hints schedule.
                assertTrue(t.ms(lastGoAway) - t.ms(firstGoAway) >= SPREAD.toMillis() * 6 / 10,
                        "go-aways not spread over the window: " + stats(goAways));
                assertTrue(Timeline.maxInWindow(attempts, 1000) <= attempts.size() * MAX_SHARE_PER_SECOND,
                        "reconnect attempts bunched: " + Timeline.histogram(attempts, 500));
                assertTrue(Timeline.maxInWindow(reconnects, 1000) <= reconnects.size() * MAX_SHARE_ESTABLISHED,
                        "reconnects bunched: " + Timeline.histogram(reconnects, 500));
                // Each hint is the base retry plus a jitter within the spread, and they differ.
                long minHint = hints.get(0);
                long maxHint = hints.get(hints.size() - 1);
                assertTrue(minHint >= RETRY.toMillis() && maxHint <= RETRY.plus(SPREAD).toMillis(),
                        "retry hints outside [retry, retry + spread]: " + stats(hints));
                assertTrue(maxHint - minHint >= SPREAD.toMillis() / 2, "retry hints not jittered: " + stats(hints));

                // B left by itself, well inside its shutdown timeout, with every connection drained.
                String log = cluster.b().log();
                assertTrue(log.contains("drain finished, 0 connection(s) left"),
                        "B's drain did not end with 0 connections");
                assertTrue(!log.contains("Timed out waiting for graceful shutdown"),
                        "B waited for the shutdown timeout");
                assertEquals(ExpectedExit.SIGTERM, exitCode, "exit code of the JVM after a graceful SIGTERM");
            } finally {
                // Before the nodes go, so that no subscriber starts failing over to a dead node.
                publishers.forEach(SteadyPublisher::stop);
                subscribers.forEach(MovingSubscriber::stop);
            }
        } finally {
            subscribers.forEach(MovingSubscriber::close);
            executor.shutdownNow();
        }
    }

    private static String wsToken(String subject) {
        return TestTokens.token(subject, List.of("load:*"), List.of());
    }

    /** The position of {@code topics} now, from a stream opened and closed on {@code node}. */
    private static String startCursor(URI node, List<String> topics, String token) {
        SseClient client = SseClient.open(node, topics, token, null);
        try {
            assertEquals(200, client.status(), client.errorBody());
            SseClient.Frame preamble = client.preamble(Duration.ofSeconds(10));
            assertNotNull(preamble.id(), "no starting cursor");
            return preamble.id();
        } finally {
            client.close();
        }
    }

    private static boolean complete(MovingSubscriber s, Map<String, List<EventId>> expected) {
        Set<String> got = s.received().stream().map(r -> r.topic() + "/" + r.id()).collect(Collectors.toSet());
        return s.topics().stream().allMatch(topic -> expected.getOrDefault(topic, List.of()).stream()
                .allMatch(id -> got.contains(topic + "/" + id)));
    }

    private static long count(Collection<Publish> publishes, Predicate<Publish> p) {
        return publishes.stream().filter(p).count();
    }

    /** What every subscriber got against what was accepted. */
    private static final class Report {
        long delivered;
        long expected;
        long lost;
        long duplicated;
        long outOfOrder;
        final Set<String> deliveredKeys = new HashSet<>();
        final List<String> failures = new ArrayList<>();
    }

    private static Report verify(List<MovingSubscriber> subscribers, Map<String, List<EventId>> expected,
                                 Map<String, Publish> byKey) {
        Report report = new Report();
        for (MovingSubscriber s : subscribers) {
            Map<String, List<EventId>> got = new HashMap<>();
            for (MovingSubscriber.Received r : s.received()) {
                report.delivered++;
                report.deliveredKeys.add(r.key());
                got.computeIfAbsent(r.topic(), k -> new ArrayList<>()).add(r.id());
                Publish p = byKey.get(r.key());
                if (p == null || !p.topic().equals(r.topic())) {
                    report.failures.add(s.name() + " got an event nobody published: " + r);
                } else if (p.outcome() == Outcome.ACCEPTED && !p.id().equals(r.id())) {
                    report.failures.add(s.name() + " got " + r.key() + " as " + r.id() + ", accepted as " + p.id());
                }
            }
            for (String topic : s.topics()) {
                List<EventId> want = expected.getOrDefault(topic, List.of());
                List<EventId> have = got.getOrDefault(topic, List.of());
                report.expected += want.size();
                Set<EventId> seen = new HashSet<>();
                EventId previous = null;
                for (EventId id : have) {
                    if (!seen.add(id)) {
                        report.duplicated++;
                    } else if (previous != null && !id.isAfter(previous)) {
                        report.outOfOrder++;
                    }
                    previous = id;
                }
                report.lost += want.stream().filter(id -> !seen.contains(id)).count();
            }
            if (!got.keySet().stream().allMatch(s.topics()::contains)) {
                report.failures.add(s.name() + " got events of topics it did not subscribe to: " + got.keySet());
            }
            s.notices().stream().filter(n -> n.startsWith("herald.reset"))
                    .forEach(n -> report.failures.add(s.name() + " got " + n));
        }
        return report;
    }

    /** Min, median, max of sorted-or-not millisecond figures. */
    private static String stats(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return "min " + sorted.get(0) + " / median " + sorted.get(sorted.size() / 2) + " / max "
                + sorted.get(sorted.size() - 1);
    }

    /** Moments relative to the signal, in milliseconds. */
    private record Timeline(long signalled) {
        long ms(long nanoTime) {
            return nanoTime <= 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(nanoTime - signalled);
        }

        List<Long> millis(List<MovingSubscriber> subscribers, java.util.function.ToLongFunction<MovingSubscriber> at) {
            return subscribers.stream().mapToLong(at).filter(v -> v > 0).map(this::ms).sorted().boxed().toList();
        }

        /** Counts per bucket, as {@code "<bucket start ms>:<count>"} from the first bucket to the last. */
        static String histogram(List<Long> millis, long bucket) {
            TreeMap<Long, Long> counts = millis.stream().collect(
                    Collectors.groupingBy(m -> Math.floorDiv(m, bucket) * bucket, TreeMap::new, Collectors.counting()));
            if (counts.isEmpty()) {
                return "[]";
            }
            StringBuilder b = new StringBuilder("[");
            for (long start = counts.firstKey(); start <= counts.lastKey(); start += bucket) {
                b.append(b.length() == 1 ? "" : " ").append(start).append(':').append(counts.getOrDefault(start, 0L));
            }
            return b.append(']').toString();
        }

        /** The most values within any window of {@code width} ms (sliding). */
        static int maxInWindow(List<Long> millis, long width) {
            List<Long> sorted = millis.stream().sorted().toList();
            int max = 0;
            int from = 0;
            for (int to = 0; to < sorted.size(); to++) {
                while (sorted.get(to) - sorted.get(from) >= width) {
                    from++;
                }
                max = Math.max(max, to - from + 1);
            }
            return max;
        }
    }

    /** Polls B's readiness every 100 ms from before the signal until it is gone, and records each answer. */
    private static final class ReadinessProbe {
        /** One answer: when the request was sent and answered, and its status (-1: no answer). */
        record Answer(long sentAt, long answeredAt, int status, boolean shuttingDown) {
        }

        private final List<Answer> answers = new ArrayList<>();
        private final Thread thread;
        private volatile boolean stopped;

        ReadinessProbe(HttpClient http, URI node) {
            HttpRequest request = HttpRequest.newBuilder(node.resolve("/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build();
            thread = Thread.ofVirtual().name("readiness-probe").start(() -> {
                while (!stopped) {
                    long at = System.nanoTime();
                    Answer answer;
                    try {
                        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                        answer = new Answer(at, System.nanoTime(), r.statusCode(), r.body().contains("shutting-down"));
                    } catch (Exception e) {
                        answer = new Answer(at, System.nanoTime(), -1, false);
                    }
                    synchronized (answers) {
                        answers.add(answer);
                    }
                    if (answer.status() < 0) {
                        return;
                    }
                    try {
                        TimeUnit.MILLISECONDS.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        List<Answer> answers() {
            synchronized (answers) {
                return List.copyOf(answers);
            }
        }

        /** The first answer that said DOWN because of the shutdown, if any. */
        Answer firstDown() {
            return answers().stream().filter(Answer::shuttingDown).findFirst().orElse(null);
        }

        /** Answers UP to requests sent after {@code nanoTime}. */
        List<Answer> upAfter(long nanoTime) {
            return answers().stream().filter(a -> a.status() == 200 && a.sentAt() > nanoTime).toList();
        }

        long lastUpBefore(long nanoTime) {
            return answers().stream().filter(a -> a.status() == 200 && a.sentAt() < nanoTime)
                    .mapToLong(Answer::answeredAt).max().orElse(-1);
        }

        void stop() throws InterruptedException {
            stopped = true;
            thread.join(10_000);
        }
    }

    /** The exit status of the JVM after SIGTERM. */
    private static final class ExpectedExit {
        /** The JVM ends with 128 + 15 after running the shutdown hooks for SIGTERM. */
        static final int SIGTERM = 143;
    }
}
