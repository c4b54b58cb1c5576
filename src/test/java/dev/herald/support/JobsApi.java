package dev.herald.support;

import static io.restassured.RestAssured.given;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

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
}
