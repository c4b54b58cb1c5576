package dev.herald.support;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** The jobs API through real HTTP, for tests: enqueue, lease, report, read. */
public final class JobsApi {

    private JobsApi() {
    }

    private static RequestSpecification as(String token) {
        RequestSpecification spec = given();
        return token == null ? spec : spec.header("Authorization", "Bearer " + token);
    }

    public static Response enqueue(String token, String queue, String body) {
        return as(token).contentType("application/json").body(body).post("/v1/queues/{queue}/jobs", queue);
    }

    /** Enqueues {@code {"type":"t","data":data}} and returns the job id; fails unless 202. */
    public static String enqueueOk(String token, String queue, String dataJson) {
        return enqueue(token, queue, "{\"type\":\"t\",\"data\":" + dataJson + "}").then().statusCode(202)
                .extract().path("id");
    }

    /** {@code POST /v1/queues/{queue}/leases?query}. */
    public static Response lease(String token, String queue, String query) {
        return as(token).post("/v1/queues/{queue}/leases" + (query.isEmpty() ? "" : "?" + query), queue);
    }

    /** Leases one job (no waiting) and returns it; fails unless exactly one came. */
    public static JsonPath leaseOne(String token, String queue) {
        JsonPath answer = lease(token, queue, "max=1").then().statusCode(200).extract().jsonPath();
        if (answer.getList("jobs").size() != 1) {
            throw new AssertionError("expected one job, got " + answer.prettify());
        }
        return answer.setRootPath("jobs[0]");
    }

    /** {@code POST /v1/jobs/{id}/{report}} (progress, ack, nack, retry) with a JSON body. */
    public static Response report(String token, String id, String report, String body) {
        return as(token).contentType("application/json").body(body).post("/v1/jobs/{id}/" + report, id);
    }

    public static Response status(String token, String id) {
        return as(token).get("/v1/jobs/{id}", id);
    }

    public static Response counts(String token, String queue) {
        return as(token).get("/v1/queues/{queue}", queue);
    }

    /** The types of the events on job {@code id}'s topic, as the job's owner reads them. */
    public static List<String> eventTypes(String token, String id) {
        return as(token).get("/v1/topics/{topic}/events", "job:" + id).then().statusCode(200).extract()
                .path("events.type");
    }

    /**
     * A quiet queue's jobs (the tests' {@code herald.jobs.quiet-queues} is {@code quiet:*}) through every
     * transition: enqueued alone and in a batch, leased, progress, dead, failed with a retry, queued again,
     * leased again, succeeded. Each answer is as for any job, except that the enqueue answers carry no topic;
     * and no event is on their topics, while a job of {@code loudQueue} enqueued in the same batch has its
     * events on its own. Every step is answered after its event would have been published, so reading the
     * topics afterwards is enough.
     */
    public static void assertQuietQueueAnnouncesNothing(String loudQueue) {
        String quiet = "quiet:" + UUID.randomUUID().toString().substring(0, 8);
        String client = TestTokens.queues("quinn", List.of("quiet:*", loudQueue), List.of(), List.of());
        String worker = TestTokens.queues("w", List.of(), List.of("quiet:*", loudQueue), List.of());
        String admin = TestTokens.queues("ops", List.of(), List.of(), List.of("quiet:*"));
        String a = enqueue(client, quiet, "{\"type\":\"t\",\"data\":1}").then().statusCode(202)
                .body("topic", nullValue()).body("status", equalTo("queued")).extract().path("id");
        JsonPath batch = as(client).contentType("application/json")
                .body("{\"jobs\":[{\"queue\":\"" + quiet + "\",\"data\":2},{\"queue\":\"" + loudQueue
                        + "\",\"data\":3}]}")
                .post("/v1/jobs").then().statusCode(202).extract().jsonPath();
        assertNull(batch.get("results[0].topic"));
        String b = batch.getString("results[0].id");
        String loud = batch.getString("results[1].id");
        assertEquals("job:" + loud, batch.getString("results[1].topic"));

        JsonPath leasedA = leaseOne(worker, quiet);
        assertEquals(a, leasedA.getString("id"));
        report(worker, a, "progress", "{\"lease\":\"" + leasedA.getString("lease") + "\",\"progress\":50}")
                .then().statusCode(200).body("progress", equalTo(50));
        report(worker, a, "nack", "{\"lease\":\"" + leasedA.getString("lease") + "\",\"error\":\"no\",\"retry\":false}")
                .then().statusCode(200).body("status", equalTo("dead"));
        JsonPath leasedB = leaseOne(worker, quiet);
        assertEquals(b, leasedB.getString("id"));
        report(worker, b, "nack", "{\"lease\":\"" + leasedB.getString("lease") + "\",\"error\":\"again\"}")
                .then().statusCode(200).body("status", equalTo("failed"));
        report(admin, a, "retry", "{}").then().statusCode(200).body("status", equalTo("queued"));
        // a at once, b after its backoff (50-100 ms in the tests), in whatever order: each acked as it comes.
        Set<String> succeeded = new HashSet<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<Object> jobs =
                    lease(worker, quiet, "max=2").then().statusCode(200).extract().jsonPath().getList("jobs");
            for (Object job : jobs) {
                Map<?, ?> leased = (Map<?, ?>) job;
                report(worker, (String) leased.get("id"), "ack", "{\"lease\":\"" + leased.get("lease") + "\"}")
                        .then().statusCode(200).body("status", equalTo("succeeded"));
                succeeded.add((String) leased.get("id"));
            }
            return succeeded.size() == 2;
        });
        assertEquals(Set.of(a, b), succeeded);
        JsonPath leasedLoud = leaseOne(worker, loudQueue);
        report(worker, loud, "ack", "{\"lease\":\"" + leasedLoud.getString("lease") + "\"}").then().statusCode(200);

        assertEquals(List.of(), eventTypes(client, a));
        assertEquals(List.of(), eventTypes(client, b));
        assertEquals(List.of("job.queued", "job.active", "job.succeeded"), eventTypes(client, loud));
        // a retried from the dead list starts its attempts again
        status(client, a).then().statusCode(200).body("status", equalTo("succeeded")).body("attempt", equalTo(1));
        status(client, b).then().statusCode(200).body("status", equalTo("succeeded")).body("attempt", equalTo(2));
    }
}
