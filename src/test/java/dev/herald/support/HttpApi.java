package dev.herald.support;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Publishing and reading history through the real HTTP API, for tests. */
public final class HttpApi {

    private HttpApi() {
    }

    /** A fresh topic name {@code prefix:<uuid>}, so that tests never share a topic. */
    public static String topic(String prefix) {
        return prefix + ":" + UUID.randomUUID();
    }

    public static Response publish(String token, String topic, String body) {
        var spec = given().contentType("application/json").body(body);
        if (token != null) {
            spec = spec.header("Authorization", "Bearer " + token);
        }
        return spec.post("/v1/topics/{topic}/events", topic);
    }

    /** Publishes {@code {"type":type,"data":data}} and returns the event id; fails unless 202. */
    public static String publishOk(String token, String topic, String type, String dataJson) {
        return publish(token, topic, "{\"type\":\"" + type + "\",\"data\":" + dataJson + "}")
                .then().statusCode(202).extract().path("id");
    }

    /** Publishes with an admin token and returns the id. */
    public static String publishOk(String topic, String dataJson) {
        return publishOk(TestTokens.admin(), topic, "message", dataJson);
    }

    public static Response publishBatch(String token, String body) {
        var spec = given().contentType("application/json").body(body);
        if (token != null) {
            spec = spec.header("Authorization", "Bearer " + token);
        }
        return spec.post("/v1/events");
    }

    /**
     * {@code publishers} publishers at once on {@code pool}: publisher {@code p} publishes
     * {@code {"p":p,"n":0}} … {@code {"p":p,"n":events-1}} (type {@code seq}) in order to
     * {@code topics[p % topics.size()]}; returns when all are done, each within 2 minutes; fails unless
     * every publish is a 202.
     */
    public static void publishConcurrently(ExecutorService pool, String token, List<String> topics, int publishers,
                                           int events) throws Exception {
        List<Future<?>> running = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            int publisher = p;
            String topic = topics.get(p % topics.size());
            running.add(pool.submit(() -> {
                for (int i = 0; i < events; i++) {
                    publishOk(token, topic, "seq", "{\"p\":" + publisher + ",\"n\":" + i + "}");
                }
                return null;
            }));
        }
        for (Future<?> f : running) {
            f.get(120, TimeUnit.SECONDS);
        }
    }

    /** {@code GET /v1/topics/{topic}/events} with an admin token (query string appended as given). */
    public static Response history(String topic, String query) {
        return given().header("Authorization", "Bearer " + TestTokens.admin())
                .get("/v1/topics/{topic}/events" + (query == null || query.isEmpty() ? "" : "?" + query), topic);
    }

    /** The ids in a topic's history (first page of up to 1000), oldest first. */
    public static List<String> historyIds(String topic) {
        return history(topic, "limit=1000").then().statusCode(200).extract().jsonPath().getList("events.id");
    }
}
