package dev.herald.jobs.http;

import static dev.herald.support.JobsApi.enqueue;
import static dev.herald.support.JobsApi.enqueueOk;
import static dev.herald.support.JobsApi.lease;
import static dev.herald.support.JobsApi.report;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.JobsApi;
import dev.herald.support.Management;
import dev.herald.support.NatsServer;
import dev.herald.support.NatsTestResource;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The jobs API with the NATS store (one node, a real nats-server that the tests kill and start). */
@QuarkusTest
@TestProfile(NatsJobsApiTest.NatsMode.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NatsJobsApiTest {

    public static class NatsMode implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(NatsTestResource.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            // No gauged queue: its counts would create the job stream at startup, before readiness does.
            return Map.of("herald.nats.request-timeout", "1s", "herald.nats.publish-timeout", "1s",
                    "herald.jobs.gauge-queues", "");
        }
    }

    private final String queue = "mail:" + UUID.randomUUID().toString().substring(0, 8);
    private final String client = TestTokens.queues("carol", List.of("mail:*"), List.of(), List.of());
    private final String worker = TestTokens.queues("w", List.of(), List.of("mail:*"), List.of());
    private final String admin = TestTokens.queues("ops", List.of(), List.of(), List.of("*"));
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
        NatsTestResource.server().start();
    }

    /** First, on the fresh nats-server of this class: nothing has used jobs yet. */
    @Test
    @Order(1)
    void readinessCreatesTheJobStreamAndBucketsBeforeTheFirstJob() throws Exception {
        List<String> jobSpace = List.of("HERALD_jobq", "KV_HERALD_jobs", "KV_HERALD_jobs_done", "KV_HERALD_jobs_keys");
        try (Connection nats = Nats.connect(NatsTestResource.server().url())) {
            JetStreamManagement jsm = nats.jetStreamManagement();
            assertFalse(jsm.getStreamNames().stream().anyMatch(jobSpace::contains), "no job stream before: " + jsm.getStreamNames());
            await().atMost(Duration.ofSeconds(20)).until(() -> Management.given().get("/q/health/ready").statusCode() == 200);
            Management.given().get("/q/health/ready").then()
                    .body("checks.find { it.name == 'herald-broker' }.data.jobs", equalTo(true));
            assertTrue(jsm.getStreamNames().containsAll(jobSpace), "created for readiness: " + jsm.getStreamNames());
        }
    }

    @Test
    void aWaitingLeaseIsWokenByAnEnqueueThroughNatsAndTheJobSucceeds() {
        // The first call of a queue creates the job stream, buckets and the queue's consumer.
        await().atMost(Duration.ofSeconds(20)).until(() -> lease(worker, queue, "").statusCode() == 200);
        CompletableFuture<Response> waiting = CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> JobsApi.counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 1);
        String id = enqueueOk(client, queue, "{\"to\":\"a@example.com\"}");
        Response leased = waiting.join();
        leased.then().statusCode(200).body("jobs", hasSize(1)).body("jobs[0].id", equalTo(id));
        String lease = leased.path("jobs[0].lease");
        report(worker, id, "ack", "{\"lease\":\"" + lease + "\",\"result\":\"sent\"}").then().statusCode(200)
                .body("status", equalTo("succeeded"));
        report(worker, id, "ack", "{\"lease\":\"" + lease + "\",\"result\":\"sent\"}").then().statusCode(200)
                .body("status", equalTo("succeeded"));
        report(worker, id, "nack", "{\"lease\":\"" + lease + "\",\"error\":\"late\"}").then().statusCode(409);
        List<String> types = given().header("Authorization", "Bearer " + client)
                .get("/v1/topics/{topic}/events", "job:" + id).then().statusCode(200).extract().path("events.type");
        assertEquals(List.of("job.queued", "job.active", "job.succeeded"), types);
        JobsApi.counts(admin, queue).then().statusCode(200).body("succeeded", equalTo(1)).body("queued", equalTo(0));
    }

    @Test
    void anEnqueueWhileNatsIsDownGets503AndAcceptedJobsSurviveItsRestart() {
        Set<String> accepted = new HashSet<>();
        // The first enqueue creates the job stream and buckets.
        accepted.add(await().atMost(Duration.ofSeconds(20))
                .until(() -> enqueue(client, queue, "{\"data\":0}"), r -> r.statusCode() == 202).path("id"));
        for (int i = 1; i < 5; i++) {
            accepted.add(enqueueOk(client, queue, String.valueOf(i)));
        }
        NatsServer nats = NatsTestResource.server();
        nats.kill();
        enqueue(client, queue, "{\"data\":1}").then().statusCode(503)
                .header("Retry-After", notNullValue()).contentType("application/problem+json");
        nats.start();
        Set<String> leased = new HashSet<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
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
