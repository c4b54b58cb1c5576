package dev.herald.jobs.http;

import static dev.herald.support.JobsApi.counts;
import static dev.herald.support.JobsApi.enqueue;
import static dev.herald.support.JobsApi.enqueueOk;
import static dev.herald.support.JobsApi.lease;
import static dev.herald.support.JobsApi.leaseOne;
import static dev.herald.support.JobsApi.report;
import static dev.herald.support.JobsApi.status;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.jobs.JobIds;
import dev.herald.jobs.QueueName;
import dev.herald.support.JobsApi;
import dev.herald.support.Metrics;
import dev.herald.support.RawHttp;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The jobs API end to end on one node (memory store): enqueue, leases, reports, rights, errors. */
@QuarkusTest
class JobsApiTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String queue = "images:" + UUID.randomUUID().toString().substring(0, 8);
    /** The client: may enqueue to images:*, nothing else. */
    private final String alice = TestTokens.queues("alice", List.of("images:*"), List.of(), List.of());
    private final String worker = TestTokens.queues("worker-1", List.of(), List.of("images:*"), List.of());
    private final String admin = TestTokens.queues("ops", List.of(), List.of(), List.of("*"));

    @TestHTTPResource("/")
    URI base;

    /** Threads for requests held open; created here so that they inherit the test's class loader. */
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    private static String token(JsonPath job) {
        return job.getString("lease");
    }

    @Test
    void aJobGoesFromEnqueueThroughLeaseAndProgressToSuccess() {
        Response enqueued = enqueue(alice, queue, "{\"type\":\"resize\",\"data\":{\"w\":640}}");
        enqueued.then().statusCode(202).body("queue", equalTo(queue)).body("status", equalTo("queued"))
                .body("duplicate", equalTo(false));
        String id = enqueued.path("id");
        enqueued.then().body("topic", equalTo("job:" + id));

        JsonPath job = leaseOne(worker, queue);
        assertEquals(id, job.getString("id"));
        assertEquals("resize", job.getString("type"));
        assertEquals(640, job.getInt("data.w"));
        assertEquals(1, job.getInt("attempt"));

        report(worker, id, "progress", "{\"lease\":\"" + token(job) + "\",\"progress\":50,\"message\":\"half\"}")
                .then().statusCode(200).body("status", equalTo("active")).body("progress", equalTo(50))
                .body("progressMessage", equalTo("half"));
        String ack = "{\"lease\":\"" + token(job) + "\",\"result\":{\"url\":\"/a.png\"}}";
        String first = report(worker, id, "ack", ack).then().statusCode(200).body("status", equalTo("succeeded"))
                .body("result.url", equalTo("/a.png")).extract().asString();
        assertEquals(first, report(worker, id, "ack", ack).then().statusCode(200).extract().asString(),
                "the same ack again answers the same");

        status(alice, id).then().statusCode(200).body("status", equalTo("succeeded")).body("progress", equalTo(100));
        // The owner follows its job's topic without a subscribe claim: the lifecycle, in order.
        List<String> types = given().header("Authorization", "Bearer " + alice)
                .get("/v1/topics/{topic}/events", "job:" + id).then().statusCode(200).extract().path("events.type");
        assertEquals(List.of("job.queued", "job.active", "job.progress", "job.succeeded"), types);
    }

    @Test
    void aLeaseThatIsNotCurrentGets409AndChangesNothing() {
        String id = enqueueOk(alice, queue, "1");
        JsonPath job = leaseOne(worker, queue);
        String other = enqueueOk(alice, queue, "2");
        // The lease of one job presented for another.
        report(worker, other, "ack", "{\"lease\":\"" + token(job) + "\"}").then().statusCode(409)
                .contentType("application/problem+json").body("type", equalTo("urn:herald:problem:conflict"));
        report(worker, id, "ack", "{\"lease\":\"" + "0".repeat(32) + "\"}").then().statusCode(409);
        status(alice, id).then().body("status", equalTo("active"));
        status(alice, other).then().body("status", equalTo("queued"));
    }

    @Test
    void theSameIdempotencyKeyAnswersWithTheFirstJob() {
        String first = given().header("Authorization", "Bearer " + alice).header("Idempotency-Key", "order-7")
                .contentType("application/json").body("{\"data\":1}").post("/v1/queues/{q}/jobs", queue)
                .then().statusCode(202).body("duplicate", equalTo(false)).extract().path("id");
        given().header("Authorization", "Bearer " + alice).header("Idempotency-Key", "order-7")
                .contentType("application/json").body("{\"data\":1}").post("/v1/queues/{q}/jobs", queue)
                .then().statusCode(202).body("duplicate", equalTo(true)).body("id", equalTo(first));
        counts(admin, queue).then().statusCode(200).body("queued", equalTo(1));
    }

    @Test
    void aWaitingLeaseIsAnsweredWhenAJobArrives() {
        CompletableFuture<Response> waiting = CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool);
        await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 1);
        String id = enqueueOk(alice, queue, "{\"n\":1}");
        waiting.join().then().statusCode(200).body("jobs", hasSize(1)).body("jobs[0].id", equalTo(id));
    }

    /**
     * A lease that arrives while another of its queue waits joins the line without a store call of its own;
     * enqueues still wake both, and a delayed job that falls due (no notice) is found by the line's poll.
     */
    @Test
    void leasesThatJoinAWaitingLeaseAreWokenByEnqueuesAndFindDueJobs() {
        CompletableFuture<Response> first = CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool);
        await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 1);
        CompletableFuture<Response> second = CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool);
        await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 2);
        Set<String> enqueued = Set.of(enqueueOk(alice, queue, "1"), enqueueOk(alice, queue, "2"));
        Set<String> leased = new HashSet<>();
        for (CompletableFuture<Response> lease : List.of(first, second)) {
            List<String> ids = lease.join().then().statusCode(200).extract().path("jobs.id");
            assertEquals(1, ids.size(), "one job each: " + ids);
            leased.addAll(ids);
        }
        assertEquals(enqueued, leased);

        CompletableFuture<Response> third = CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool);
        await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 1);
        CompletableFuture<Response> fourth = CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool);
        await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 2);
        String later = given().header("Authorization", "Bearer " + alice).contentType("application/json")
                .body("{\"data\":3,\"delay\":0.3}").post("/v1/queues/{q}/jobs", queue)
                .then().statusCode(202).extract().path("id");
        CompletableFuture<Object> answered = CompletableFuture.anyOf(third, fourth);
        Response got = (Response) answered.join();
        assertEquals(List.of(later), got.then().statusCode(200).extract().path("jobs.id"));
    }

    @Test
    void aWorkerThatGoesAwayWhileWaitingLeavesTheLineAndLosesNoJob() {
        try (RawHttp http = RawHttp.connect(base)) {
            http.send("POST /v1/queues/" + queue + "/leases?wait=30 HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + worker + "\r\nContent-Length: 0\r\n\r\n");
            await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 1);
        }
        await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 0);
        String id = enqueueOk(alice, queue, "1");
        JsonPath job = leaseOne(worker, queue);
        assertEquals(id, job.getString("id"));
        assertEquals(1, job.getInt("attempt"));
    }

    @Test
    void aWaitingLeaseEndsEmptyWhenItsTimePasses() {
        lease(worker, queue, "wait=1").then().statusCode(200).body("jobs", hasSize(0));
    }

    @Test
    void waitingLeasesAreBoundedWith503AndRetryAfter() {
        List<CompletableFuture<Response>> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiting.add(CompletableFuture.supplyAsync(() -> lease(worker, queue, "wait=30"), pool));
        }
        await().atMost(WAIT).until(() -> counts(admin, queue).then().extract().<Integer>path("waitingWorkers") == 4);
        lease(worker, queue, "wait=30").then().statusCode(503).header("Retry-After", notNullValue())
                .body("type", equalTo("urn:herald:problem:too-many-waiting-leases"));
        lease(worker, queue, "wait=0").then().statusCode(200).body("jobs", hasSize(0));
        for (int i = 0; i < 4; i++) {
            enqueueOk(alice, queue, String.valueOf(i));
        }
        for (CompletableFuture<Response> w : waiting) {
            w.join().then().statusCode(200).body("jobs", hasSize(1));
        }
    }

    @Test
    void aNackRetriesThenAJobWithoutRetryIsDeadAndAdminsRetryIt() {
        String id = enqueueOk(alice, queue, "1");
        JsonPath job = leaseOne(worker, queue);
        report(worker, id, "nack", "{\"lease\":\"" + token(job) + "\",\"error\":\"busy\"}").then().statusCode(200)
                .body("status", equalTo("failed")).body("error", equalTo("busy")).body("nextRunAt", notNullValue());
        List<JsonPath> again = new ArrayList<>();
        await().atMost(WAIT).until(() -> {
            JsonPath answer = lease(worker, queue, "").then().statusCode(200).extract().jsonPath();
            if (!answer.getList("jobs").isEmpty()) {
                again.add(answer.setRootPath("jobs[0]"));
            }
            return !again.isEmpty();
        });
        assertEquals(2, again.get(0).getInt("attempt"));
        report(worker, id, "nack", "{\"lease\":\"" + token(again.get(0)) + "\",\"error\":\"bad\",\"retry\":false}")
                .then().statusCode(200).body("status", equalTo("dead"));
        given().header("Authorization", "Bearer " + admin).get("/v1/queues/{q}/dead", queue).then().statusCode(200)
                .body("jobs", hasSize(1)).body("jobs[0].id", equalTo(id));
        report(worker, id, "retry", "{}").then().statusCode(403);
        report(admin, id, "retry", "{}").then().statusCode(200).body("status", equalTo("queued"))
                .body("attempt", equalTo(0));
        report(admin, id, "retry", "{}").then().statusCode(409);
    }

    @Test
    void aBatchIsEnqueuedInOrderAfterAllAreValidated() {
        given().header("Authorization", "Bearer " + alice).contentType("application/json")
                .body("{\"jobs\":[{\"queue\":\"" + queue + "\",\"data\":1},{\"queue\":\"other\",\"data\":2}]}")
                .post("/v1/jobs").then().statusCode(403);
        counts(admin, queue).then().body("queued", equalTo(0));
        given().header("Authorization", "Bearer " + alice).contentType("application/json")
                .body("{\"jobs\":[{\"queue\":\"" + queue + "\",\"data\":1},{\"queue\":\"" + queue + "\",\"data\":2}]}")
                .post("/v1/jobs").then().statusCode(202).body("results", hasSize(2))
                .body("results[0].status", equalTo("queued"));
        counts(admin, queue).then().body("queued", equalTo(2));
    }

    @Test
    void severalAcksInOneRequestAreEachSettledOrRefusedOnTheirOwn() {
        String done = enqueueOk(alice, queue, "1");
        String stale = enqueueOk(alice, queue, "2");
        JsonPath first = leaseOne(worker, queue);
        JsonPath second = leaseOne(worker, queue);
        String videos = "videos:" + UUID.randomUUID().toString().substring(0, 8);
        String videoWorker = TestTokens.queues("w2", List.of("videos:*"), List.of("videos:*"), List.of());
        String foreign = enqueueOk(videoWorker, videos, "3");
        JsonPath foreignJob = leaseOne(videoWorker, videos);
        String unknown = JobIds.newId(QueueName.of(queue));
        String acks = "{\"acks\":[{\"id\":\"" + done + "\",\"lease\":\"" + token(first) + "\",\"result\":{\"ok\":1}},"
                + "{\"id\":\"" + stale + "\",\"lease\":\"" + "0".repeat(32) + "\"},"
                + "{\"id\":\"" + unknown + "\",\"lease\":\"" + token(second) + "\"},"
                + "{\"id\":\"" + foreign + "\",\"lease\":\"" + token(foreignJob) + "\"}]}";
        JsonPath answer = given().header("Authorization", "Bearer " + worker).contentType("application/json")
                .body(acks).post("/v1/jobs/acks").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(done, stale, unknown, foreign), answer.getList("results.id"));
        assertEquals(List.of(200, 409, 404, 403), answer.getList("results.status"));
        assertEquals("succeeded", answer.getString("results[0].job.status"));
        assertEquals(1, answer.getInt("results[0].job.result.ok"));
        assertEquals("urn:herald:problem:conflict", answer.getString("results[1].problem.type"));
        status(alice, done).then().body("status", equalTo("succeeded"));
        status(alice, stale).then().body("status", equalTo("active"));
        status(videoWorker, foreign).then().body("status", equalTo("active"));
        // The same batch again: the ack that applied answers the same; one malformed ack refuses them all.
        given().header("Authorization", "Bearer " + worker).contentType("application/json").body(acks)
                .post("/v1/jobs/acks").then().statusCode(200).body("results[0].status", equalTo(200));
        given().header("Authorization", "Bearer " + worker).contentType("application/json")
                .body("{\"acks\":[{\"id\":\"" + stale + "\",\"lease\":\"" + token(second) + "\"},{\"id\":\"" + stale + "\"}]}")
                .post("/v1/jobs/acks").then().statusCode(400);
        status(alice, stale).then().body("status", equalTo("active"));
        given().header("Authorization", "Bearer " + worker).contentType("application/json").body("{\"acks\":[]}")
                .post("/v1/jobs/acks").then().statusCode(400);
    }

    @Test
    void rightsAreCheckedPerQueueAndJob() {
        enqueue(null, queue, "{}").then().statusCode(401);
        enqueue(worker, queue, "{}").then().statusCode(403);
        enqueue(alice, "videos:x", "{}").then().statusCode(403);
        String id = enqueueOk(alice, queue, "1");
        lease(alice, queue, "").then().statusCode(403);
        String bob = TestTokens.queues("bob", List.of("images:*"), List.of(), List.of());
        status(bob, id).then().statusCode(403);
        status(admin, id).then().statusCode(200);
        given().header("Authorization", "Bearer " + bob).get("/v1/topics/{t}/events", "job:" + id)
                .then().statusCode(403);
        counts(alice, queue).then().statusCode(403);
        JsonPath job = leaseOne(worker, queue);
        String outsider = TestTokens.queues("w2", List.of(), List.of("videos:*"), List.of());
        report(outsider, id, "ack", "{\"lease\":\"" + token(job) + "\"}").then().statusCode(403);
    }

    @Test
    void jobsAreCountedInMetricsAndStatsAndChosenQueuesBecomeGauges() {
        double enqueued = Metrics.value("herald_jobs_enqueued_total");
        double succeeded = Metrics.value("herald_jobs_succeeded_total");
        String gauged = "gauged:jobs";
        String id = enqueueOk(alice, queue, "1");
        enqueueOk(TestTokens.queues("g", List.of("gauged:*"), List.of(), List.of()), gauged, "1");
        JsonPath job = leaseOne(worker, queue);
        report(worker, id, "ack", "{\"lease\":\"" + token(job) + "\"}").then().statusCode(200);
        assertEquals(enqueued + 2, Metrics.value("herald_jobs_enqueued_total"));
        assertEquals(succeeded + 1, Metrics.value("herald_jobs_succeeded_total"));
        assertTrue(Metrics.value("herald_jobs_lease_to_ack_seconds_count") >= 1);
        given().get("/v1/stats").then().statusCode(200).body("jobs.enqueued", greaterThanOrEqualTo(2))
                .body("jobs.succeeded", greaterThanOrEqualTo(1));
        await().atMost(WAIT).until(() -> Metrics.value("herald_jobs_queue_waiting", "queue=\"gauged:jobs\"") >= 1);
        assertEquals(0, Metrics.value("herald_jobs_queue_waiting", "queue=\"" + queue + "\""), "only chosen queues");
    }

    @Test
    void nobodyButTheServerPublishesOnAJobsTopic() {
        String id = enqueueOk(alice, queue, "1");
        dev.herald.support.HttpApi.publish(TestTokens.admin(), "job:" + id,
                "{\"type\":\"job.succeeded\",\"data\":{\"status\":\"succeeded\"}}").then().statusCode(403);
        status(alice, id).then().body("status", equalTo("queued"));
    }

    @Test
    void badInputGetsAProblemAndChangesNothing() {
        enqueue(alice, "bad queue", "{}").then().statusCode(400);
        enqueue(alice, queue, "{\"data\":1,\"color\":\"red\"}").then().statusCode(400)
                .contentType("application/problem+json");
        enqueue(alice, queue, "{\"maxAttempts\":0}").then().statusCode(400);
        enqueue(alice, queue, "{\"delay\":-1}").then().statusCode(400);
        enqueue(alice, queue, "{\"data\":\"" + "x".repeat(70_000) + "\"}").then().statusCode(413);
        enqueue(alice, queue, "not json").then().statusCode(400);
        counts(admin, queue).then().body("queued", equalTo(0));
        status(alice, "nope").then().statusCode(400);
        status(admin, "abcdef-" + "0".repeat(36)).then().statusCode(404);
        lease(worker, queue, "max=0").then().statusCode(400);
        lease(worker, queue, "wait=61").then().statusCode(400);
        String id = enqueueOk(alice, queue, "1");
        JsonPath job = leaseOne(worker, queue);
        report(worker, id, "ack", "{}").then().statusCode(400);
        report(worker, id, "progress", "{\"lease\":\"" + token(job) + "\",\"progress\":101}").then().statusCode(400);
        report(worker, id, "ack", "{\"lease\":\"not-a-lease\"}").then().statusCode(400)
                .body("detail", startsWith("'lease'"));
        status(alice, id).then().body("status", equalTo("active"));
    }

    @Test
    void aQuietQueuesJobsRunTheirCourseWithNoEventOnTheirTopics() {
        JobsApi.assertQuietQueueAnnouncesNothing(queue);
    }
}
