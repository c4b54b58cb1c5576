package dev.herald.jobs.http;

import static dev.herald.support.JobsApi.enqueue;
import static dev.herald.support.JobsApi.enqueueOk;
import static dev.herald.support.JobsApi.lease;
import static dev.herald.support.JobsApi.report;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.JobsApi;
import dev.herald.support.Metrics;
import dev.herald.support.Profiles;
import dev.herald.support.RawWebSocket;
import dev.herald.support.RedisServer;
import dev.herald.support.RedisTestResource;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The jobs API with the Redis store (one node, a real redis-server that the tests stop and start). */
@QuarkusTest
@TestProfile(Profiles.RedisMode.class)
class RedisJobsApiTest {

    private final String queue = "mail:" + UUID.randomUUID().toString().substring(0, 8);
    private final String client = TestTokens.queues("carol", List.of("mail:*"), List.of(), List.of());
    private final String worker = TestTokens.queues("w", List.of(), List.of("mail:*"), List.of());
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @TestHTTPResource("/")
    URI base;

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
        RedisTestResource.server().start();
    }

    @Test
    void aWaitingLeaseIsWokenByAnEnqueueThroughRedisAndTheJobSucceeds() {
        CompletableFuture<Response> waiting = CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool);
        String admin = TestTokens.queues("ops", List.of(), List.of(), List.of("*"));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> JobsApi.counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 1);
        String id = enqueueOk(client, queue, "{\"to\":\"a@example.com\"}");
        Response leased = waiting.join();
        leased.then().statusCode(200).body("jobs", hasSize(1)).body("jobs[0].id", equalTo(id));
        String lease = leased.path("jobs[0].lease");
        report(worker, id, "ack", "{\"lease\":\"" + lease + "\",\"result\":\"sent\"}").then().statusCode(200)
                .body("status", equalTo("succeeded"));
        List<String> types = given().header("Authorization", "Bearer " + client)
                .get("/v1/topics/{topic}/events", "job:" + id).then().statusCode(200).extract().path("events.type");
        assertEquals(List.of("job.queued", "job.active", "job.succeeded"), types);
    }

    /**
     * A batch of acks is settled in one script call per queue on Redis, each job's lifecycle event appended in
     * it; while Redis is down every ack of the batch answers the outage, and none is applied.
     */
    @Test
    void batchAcksSettleEachJobWithItsEventAndAnOutageAnswersEveryAckOfTheBatch() {
        List<String> ids = List.of(enqueueOk(client, queue, "1"), enqueueOk(client, queue, "2"),
                enqueueOk(client, queue, "3"));
        Response leased = lease(worker, queue, "max=3");
        assertEquals(ids, leased.jsonPath().getList("jobs.id"));
        List<String> leases = leased.jsonPath().getList("jobs.lease");
        String staleLease = "0".repeat(32);
        String batch = "{\"acks\":[" + ack(ids.get(0), leases.get(0)) + "," + ack(ids.get(1), staleLease) + ","
                + ack(ids.get(2), leases.get(2)) + "]}";

        RedisServer redis = RedisTestResource.server();
        redis.stop();
        List<Integer> down = acks(batch).then().statusCode(200).extract().path("results.status");
        assertEquals(List.of(503, 503, 503), down, "the outage, for every ack");
        redis.start();

        // Once Redis is back the same batch applies (an ack repeated answers as the first did).
        await().atMost(Duration.ofSeconds(15))
                .until(() -> acks(batch).jsonPath().getList("results.status").equals(List.of(200, 409, 200)));
        for (String id : List.of(ids.get(0), ids.get(2))) {
            assertEquals(List.of("job.queued", "job.active", "job.succeeded"), eventTypes(id), "job " + id);
        }
        assertEquals(List.of("job.queued", "job.active"), eventTypes(ids.get(1)), "a stale lease announces nothing");
    }

    private static String ack(String id, String lease) {
        return "{\"id\":\"" + id + "\",\"lease\":\"" + lease + "\",\"result\":\"ok\"}";
    }

    private Response acks(String body) {
        return given().header("Authorization", "Bearer " + worker).contentType("application/json").body(body)
                .post("/v1/jobs/acks");
    }

    private List<String> eventTypes(String id) {
        return JobsApi.eventTypes(client, id);
    }

    /**
     * The acks a WebSocket worker sends at once reach the node in one read and are settled in one script call,
     * and the room they free is refilled by one lease (which finds four more jobs, so no lease waits): the
     * node's timer of the jobs script counts two calls where a call an ack (and a lease of one each) would be
     * eight. Other calls may be the node's own: the tests' gauge queue is read every 200 ms.
     */
    @Test
    void webSocketAcksSentAtOnceAreSettledInOneScriptCall() {
        for (int i = 0; i < 8; i++) {
            enqueueOk(client, queue, String.valueOf(i));
        }
        try (RawWebSocket ws = RawWebSocket.connect(base, Map.of("Authorization", "Bearer " + worker), 0)) {
            assertEquals(101, ws.status());
            ws.sendText("{\"op\":\"consume\",\"queue\":\"" + queue + "\",\"prefetch\":4}");
            List<String> acks = new ArrayList<>();
            while (acks.size() < 4) {
                JsonPath frame = JsonPath.from(ws.readText().text());
                if (frame.getString("type").equals("job")) {
                    acks.add("{\"op\":\"ack\",\"id\":\"" + frame.getString("job.id") + "\",\"lease\":\""
                            + frame.getString("job.lease") + "\",\"ref\":" + acks.size() + "}");
                }
            }
            double before = scriptCalls();
            long started = System.nanoTime();
            ws.sendTexts(acks);
            int acked = 0;
            int refilled = 0;
            while (acked < 4 || refilled < 4) {
                JsonPath frame = JsonPath.from(ws.readText().text());
                switch (frame.getString("type")) {
                    case "acked" -> {
                        assertEquals(acked++, frame.getInt("ref"));
                        assertEquals("succeeded", frame.getString("job.status"));
                    }
                    case "job" -> refilled++;
                    default -> throw new AssertionError("unexpected " + frame.prettify());
                }
            }
            double calls = scriptCalls() - before;
            // The gauge's reads that may have fallen in the window: one per 200 ms begun.
            long gaugeReads = 1 + (System.nanoTime() - started) / 200_000_000L;
            assertTrue(calls >= 2 && calls <= 2 + gaugeReads,
                    calls + " calls of the jobs script for four acks and a refill (" + gaugeReads
                            + " gauge reads allowed)");
        }
    }

    /**
     * A batch of one queue's jobs is stored in one script call (a call per job before), and each job gets
     * its lifecycle event as a lone enqueue's would.
     */
    @Test
    void aBatchOfOneQueuesJobsIsStoredInOneScriptCall() {
        StringBuilder body = new StringBuilder("{\"jobs\":[");
        for (int i = 0; i < 20; i++) {
            body.append(i == 0 ? "" : ",").append("{\"queue\":\"").append(queue).append("\",\"data\":").append(i).append('}');
        }
        double before = scriptCalls();
        long started = System.nanoTime();
        List<String> ids = given().header("Authorization", "Bearer " + client).contentType("application/json")
                .body(body.append("]}").toString()).post("/v1/jobs").then().statusCode(202)
                .body("results.status", everyItem(equalTo("queued"))).extract().path("results.id");
        double calls = scriptCalls() - before;
        long gaugeReads = 1 + (System.nanoTime() - started) / 200_000_000L;
        assertTrue(calls >= 1 && calls <= 1 + gaugeReads,
                calls + " calls of the jobs script for a batch of 20 (" + gaugeReads + " gauge reads allowed)");
        assertEquals(20, new HashSet<>(ids).size());
        List<Integer> data = new ArrayList<>();
        while (data.size() < 20) {
            data.addAll(lease(worker, queue, "max=10").then().statusCode(200).extract().path("jobs.data"));
        }
        assertEquals(IntStream.range(0, 20).boxed().toList(), data, "stored in the batch's order");
        assertEquals(List.of("job.queued", "job.active"), eventTypes(ids.get(19)));
    }

    private static double scriptCalls() {
        return Metrics.value("herald_broker_command_latency_seconds_count", "broker=\"redis\"", "command=\"jobs\"");
    }

    @Test
    void anEnqueueWhileRedisIsDownGets503AndAcceptedJobsSurviveItsRestart() {
        Set<String> accepted = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            accepted.add(enqueueOk(client, queue, String.valueOf(i)));
        }
        RedisServer redis = RedisTestResource.server();
        redis.stop();
        // 503 (not stored), or 504 when the command was written to a connection Redis' death then cut: never 202.
        enqueue(client, queue, "{\"data\":1}").then().statusCode(anyOf(equalTo(503), equalTo(504)))
                .header("Retry-After", notNullValue()).contentType("application/problem+json");
        redis.start();
        Set<String> leased = new HashSet<>();
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            Response r = lease(worker, queue, "max=10");
            if (r.statusCode() == 200) {
                leased.addAll(r.jsonPath().getList("jobs.id"));
            }
            return leased.size() >= 5;
        });
        assertEquals(accepted, leased);
    }

    @Test
    void aQuietQueuesJobsRunTheirCourseWithNoEventOnTheirTopics() {
        JobsApi.assertQuietQueueAnnouncesNothing(queue);
    }
}
