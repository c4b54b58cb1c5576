package dev.herald.jobs.chaos;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HeraldNodes;
import dev.herald.support.HeraldProcess;
import dev.herald.support.TestTokens;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs under faults, end to end: two packaged Herald nodes on one Redis (append-only file, fsync always),
 * worker processes ({@link ChaosWorker}) leasing through both nodes, failing a fifth of their attempts and
 * SIGKILLed mid-job again and again. Every job must end succeeded or dead exactly once (none lost, none
 * succeeded twice, none left active), and every job's topic must show its lifecycle in order. Prints the
 * counts.
 */
class JobsChaosIT {

    private static final int JOBS = 2000;
    private static final int WORKERS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String queue = "chaos:jobs";
    private final String client = TestTokens.queues("client", List.of("chaos:*"), List.of(), List.of());
    private final String worker = TestTokens.queues("worker", List.of(), List.of("chaos:*"), List.of());
    private final String admin = TestTokens.admin();
    private final String queueAdmin = TestTokens.queues("ops", List.of(), List.of(), List.of("*"));
    private final List<Process> workers = new ArrayList<>();
    private final List<Path> workerLogs = new ArrayList<>();
    private HeraldNodes nodes;

    @BeforeEach
    void start() throws IOException {
        nodes = HeraldNodes.start("jobs-chaos", Map.of("herald.jobs.backoff-base", "50ms",
                "herald.jobs.backoff-max", "200ms", "herald.jobs.poll-interval", "200ms"));
    }

    @AfterEach
    void stop() {
        workers.forEach(Process::destroyForcibly);
        nodes.close();
    }

    @Test
    void everyJobEndsSucceededOrDeadExactlyOnceWhileWorkersAreKilled() throws Exception {
        List<String> ids = enqueueAll(nodes.b());
        for (int w = 0; w < WORKERS; w++) {
            workers.add(startWorker(w));
        }
        Random random = new Random(42);
        int kills = 0;
        long finished = 0;
        while (finished < JOBS) {
            long before = finished;
            // Kill a worker mid-job each time another tenth of the jobs has finished.
            await().atMost(Duration.ofMinutes(3)).until(() -> finished() >= Math.min(JOBS, before + JOBS / 10));
            finished = finished();
            if (finished < JOBS * 9 / 10) {
                int victim = random.nextInt(WORKERS);
                workers.get(victim).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                workers.set(victim, startWorker(victim));
                kills++;
            }
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> {
            JsonNode c = counts();
            return c.get("active").asLong() + c.get("queued").asLong() + c.get("failed").asLong() == 0;
        });
        workers.forEach(Process::destroyForcibly);

        JsonNode counts = counts();
        assertEquals(JOBS, counts.get("succeeded").asLong() + counts.get("dead").asLong(), counts.toString());
        Map<String, Integer> acks = acks();
        int succeeded = 0;
        int dead = 0;
        int attempts = 0;
        for (String id : ids) {
            JsonNode status = get(nodes.a(), "v1/jobs/" + id, admin);
            String state = status.get("status").asText();
            assertTrue(state.equals("succeeded") || state.equals("dead"), id + " ended " + state);
            attempts += status.get("attempt").asInt();
            if (state.equals("succeeded")) {
                succeeded++;
                // At most once: a worker killed right after its ack was applied never printed it.
                assertTrue(acks.getOrDefault(id, 0) <= 1, id + ": acknowledged by workers " + acks.get(id) + " times");
            } else {
                dead++;
                assertEquals(0, acks.getOrDefault(id, 0), id + " is dead but a worker's ack was applied");
            }
            assertLifecycleInOrder(id, state);
        }
        assertEquals(ids.size(), new HashSet<>(ids).size());
        System.out.printf("jobs chaos: %d jobs, %d workers killed %d times, %d succeeded, %d dead, %d attempts%n",
                JOBS, WORKERS, kills, succeeded, dead, attempts);
        assertTrue(kills >= 3, "workers were killed several times");
    }

    /**
     * A node SIGKILLed while workers hold leases through it: those jobs come back once their leases expire and
     * are finished through the other node. Lifecycle events of calls the dead node was making may be lost with
     * it (the status stays the truth), so only the outcome is checked here.
     */
    @Test
    void jobsLeasedThroughAKilledNodeComeBackAndAreFinishedThroughTheOther() throws Exception {
        int jobs = 400;
        List<String> ids = enqueueAll(nodes.b(), jobs);
        for (int w = 0; w < WORKERS; w++) {
            workers.add(startWorker(w));
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> finished() >= jobs / 4);
        // Leases surely held through A when it dies (the workers' own may all be settled at that moment): a
        // worker that took jobs through A and never settles them.
        JsonNode leased = JSON.readTree(send(nodes.a(), "v1/queues/" + queue + "/leases?max=5&visibility=3", worker,
                "", 200)).get("jobs");
        List<String> held = new ArrayList<>();
        leased.forEach(job -> held.add(job.get("id").asText()));
        assertFalse(held.isEmpty(), "jobs were still queued when the node was killed");
        nodes.a().process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofMinutes(3)).until(() -> finished() == jobs);
        for (String id : ids) {
            JsonNode status = get(nodes.b(), "v1/jobs/" + id, admin);
            String state = status.get("status").asText();
            assertTrue(state.equals("succeeded") || state.equals("dead"), id + " ended " + state);
            if (held.contains(id)) {
                assertTrue(status.get("attempt").asInt() >= 2, id + " was leased again after its lease through A: "
                        + status);
            }
        }
        String metrics = dev.herald.support.NodeApi.metrics(http, nodes.b().management());
        double redelivered = dev.herald.support.Metrics.sample(metrics, "herald_jobs_redelivered_total");
        System.out.printf("jobs node kill: %d jobs finished through node B after node A was killed, %.0f of them "
                + "leased again after their lease through A expired%n", jobs, redelivered);
        assertTrue(redelivered >= held.size(), "leases held through the killed node came back: " + redelivered);
    }

    /**
     * queued first; each job.active's attempt above the attempts spent before it; exactly one final event,
     * last, matching the status.
     */
    private void assertLifecycleInOrder(String id, String state) throws Exception {
        JsonNode events = get(nodes.a(), "v1/topics/job:" + id + "/events?limit=1000", admin).get("events");
        List<String> types = new ArrayList<>();
        int lastAttempt = 0;
        for (JsonNode e : events) {
            String type = e.get("type").asText();
            types.add(type);
            if (type.equals("job.queued")) {
                // Queued again by a release (its lease call's worker went away): the attempt does not count.
                lastAttempt = e.get("data").get("attempt").asInt();
            } else if (type.equals("job.active")) {
                int attempt = e.get("data").get("attempt").asInt();
                assertTrue(attempt > lastAttempt, id + ": attempts in order: " + types);
                lastAttempt = attempt;
            }
        }
        assertEquals("job.queued", types.get(0), id + ": " + types);
        String last = types.get(types.size() - 1);
        assertEquals(state.equals("succeeded") ? "job.succeeded" : "job.dead", last, id + ": " + types);
        assertEquals(1, types.stream().filter(t -> t.equals("job.succeeded") || t.equals("job.dead")).count(),
                id + ": one final event: " + types);
    }

    private List<String> enqueueAll(HeraldProcess node) throws Exception {
        return enqueueAll(node, JOBS);
    }

    private List<String> enqueueAll(HeraldProcess node, int jobs) throws Exception {
        Set<String> ids = new LinkedHashSet<>();
        for (int batch = 0; batch < jobs / 100; batch++) {
            StringBuilder body = new StringBuilder("{\"jobs\":[");
            for (int i = 0; i < 100; i++) {
                body.append(i == 0 ? "" : ",").append("{\"queue\":\"").append(queue).append("\",\"type\":\"chaos\",")
                        .append("\"data\":").append(batch * 100 + i).append(",\"maxAttempts\":3}");
            }
            JsonNode answer = JSON.readTree(send(node, "v1/jobs", client, body.append("]}").toString(), 202));
            answer.get("results").forEach(r -> ids.add(r.get("id").asText()));
        }
        assertEquals(jobs, ids.size());
        return new ArrayList<>(ids);
    }

    private Process startWorker(int n) throws IOException {
        Path log = Path.of("target", "jobs-chaos-worker-" + n + "-" + workerLogs.size() + ".log");
        workerLogs.add(log);
        List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), ChaosWorker.class.getName(),
                nodes.a().base() + "," + nodes.b().base(), worker, queue, "20", String.valueOf(n * 1000 + workerLogs.size()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Acks applied per job, from every worker process's output. */
    private Map<String, Integer> acks() throws IOException {
        Map<String, Integer> acks = new HashMap<>();
        for (Path log : workerLogs) {
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("ACK ") && line.split(" ").length == 3) {
                    acks.merge(line.split(" ")[1], 1, Integer::sum);
                }
            }
        }
        return acks;
    }

    private long finished() throws Exception {
        JsonNode c = counts();
        return c.get("succeeded").asLong() + c.get("dead").asLong();
    }

    private JsonNode counts() throws Exception {
        return get(nodes.b(), "v1/queues/" + queue, queueAdmin);
    }

    private JsonNode get(HeraldProcess node, String path, String token) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(node.base().resolve(path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private String send(HeraldProcess node, String path, String token, String body, int expected) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(node.base().resolve(path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, response.statusCode(), path + ": " + response.body());
        return response.body();
    }

}
