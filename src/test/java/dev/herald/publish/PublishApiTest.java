package dev.herald.publish;

import static dev.herald.support.HttpApi.historyIds;
import static dev.herald.support.HttpApi.publish;
import static dev.herald.support.HttpApi.publishBatch;
import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class PublishApiTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    @Test
    void publishAnswers202WithIdTopicAndNotDuplicate() {
        String topic = topic("room");
        publish(ADMIN, topic, "{\"type\":\"msg\",\"data\":{\"text\":\"hi\"}}")
                .then().statusCode(202)
                .body("id", notNullValue())
                .body("topic", equalTo(topic))
                .body("duplicate", equalTo(false));
    }

    @Test
    void publishedEventAppearsInHistoryAndLiveOnSubscriber() {
        String topic = topic("room");
        try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, null)) {
            assertEquals(200, sse.status());
            sse.preamble(WAIT);
            String id = HttpApi.publishOk(ADMIN, topic, "msg", "{\"text\":\"hi\"}");

            SseClient.Frame frame = sse.expectEvent(WAIT);
            assertEquals("msg", frame.event());
            JsonPath live = JsonPath.from(frame.data());
            assertEquals(id, live.getString("id"));
            assertEquals(topic, live.getString("topic"));
            assertEquals("hi", live.getString("data.text"));

            HttpApi.history(topic, null).then().statusCode(200)
                    .body("events", hasSize(1))
                    .body("events[0].id", equalTo(id))
                    .body("events[0].type", equalTo("msg"))
                    .body("events[0].data.text", equalTo("hi"))
                    .body("events[0].ts", notNullValue());
        }
    }

    @Test
    void withTracingOffAPublishersTraceparentIsNotStoredWithTheEvent() {
        String topic = topic("untraced");
        given().header("Authorization", "Bearer " + ADMIN).contentType("application/json")
                .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                .body("{\"type\":\"msg\",\"data\":1}").post("/v1/topics/" + topic + "/events")
                .then().statusCode(202);

        HttpApi.history(topic, null).then().statusCode(200)
                .body("events", hasSize(1))
                .body("events[0]", not(hasKey("traceparent")));
    }

    @Test
    void idempotencyKeyMakesARepeatedPublishADuplicateWithTheOriginalId() {
        String topic = topic("room");
        String key = "order-" + UUID.randomUUID();
        String first = given().header("Authorization", "Bearer " + ADMIN).header("Idempotency-Key", key)
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/{topic}/events", topic)
                .then().statusCode(202).body("duplicate", equalTo(false)).extract().path("id");
        given().header("Authorization", "Bearer " + ADMIN).header("Idempotency-Key", key)
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/{topic}/events", topic)
                .then().statusCode(202).body("id", equalTo(first)).body("duplicate", equalTo(true));
        assertEquals(List.of(first), historyIds(topic));
    }

    @Test
    void idempotencyKeyOf129CharactersIsRefused() {
        String topic = topic("room");
        given().header("Authorization", "Bearer " + ADMIN).header("Idempotency-Key", "k".repeat(129))
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/{topic}/events", topic)
                .then().statusCode(400).contentType("application/problem+json");
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void idempotencyKeyOf128CharactersIsAccepted() {
        given().header("Authorization", "Bearer " + ADMIN).header("Idempotency-Key", "k".repeat(128))
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/{topic}/events", topic("room"))
                .then().statusCode(202);
    }

    @Test
    void idempotencyKeyWithASpaceIsRefused() {
        String topic = topic("room");
        given().header("Authorization", "Bearer " + ADMIN).header("Idempotency-Key", "two words")
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/{topic}/events", topic)
                .then().statusCode(400).contentType("application/problem+json");
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void batchOfThreeEventsToTwoTopicsAnswersResultsInOrder() {
        String a = topic("room");
        String b = topic("room");
        String body = "{\"events\":["
                + "{\"topic\":\"" + a + "\",\"type\":\"t1\",\"data\":1},"
                + "{\"topic\":\"" + b + "\",\"type\":\"t2\",\"data\":2},"
                + "{\"topic\":\"" + a + "\",\"type\":\"t3\",\"data\":3}]}";
        JsonPath json = publishBatch(ADMIN, body).then().statusCode(202)
                .body("results", hasSize(3))
                .body("results[0].topic", equalTo(a))
                .body("results[1].topic", equalTo(b))
                .body("results[2].topic", equalTo(a))
                .body("results.duplicate", equalTo(List.of(false, false, false)))
                .extract().jsonPath();
        assertEquals(List.of(json.getString("results[0].id"), json.getString("results[2].id")), historyIds(a));
        assertEquals(List.of(json.getString("results[1].id")), historyIds(b));
        HttpApi.history(a, null).then().body("events.type", equalTo(List.of("t1", "t3")))
                .body("events.data", equalTo(List.of(1, 3)));
    }

    @Test
    void batchOverTheMaximumSizeIsRefusedWith413AndPublishesNothing() {
        String topic = topic("room");
        StringBuilder body = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 1001; i++) {
            body.append(i == 0 ? "" : ",").append("{\"topic\":\"").append(topic).append("\",\"data\":").append(i)
                    .append('}');
        }
        publishBatch(ADMIN, body.append("]}").toString()).then().statusCode(413)
                .contentType("application/problem+json");
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void batchOfExactlyTheMaximumSizeIsAccepted() {
        String topic = topic("room");
        StringBuilder body = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 1000; i++) {
            body.append(i == 0 ? "" : ",").append("{\"topic\":\"").append(topic).append("\",\"data\":").append(i)
                    .append('}');
        }
        publishBatch(ADMIN, body.append("]}").toString()).then().statusCode(202).body("results", hasSize(1000));
        assertEquals(1000, historyIds(topic).size());
    }

    @Test
    void batchWithAnInvalidThirdEventIsRefusedNamingItAndPublishesNoneOfTheBatch() {
        String a = topic("room");
        String b = topic("room");
        String body = "{\"events\":["
                + "{\"topic\":\"" + a + "\",\"data\":1},"
                + "{\"topic\":\"" + b + "\",\"data\":2},"
                + "{\"topic\":\"" + a + "\",\"type\":\"bad type\",\"data\":3}]}";
        publishBatch(ADMIN, body).then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("events[2]"));
        assertEquals(List.of(), historyIds(a));
        assertEquals(List.of(), historyIds(b));
    }

    @Test
    void batchWithAnEventMissingDataIsRefusedNamingIt() {
        String a = topic("room");
        String body = "{\"events\":[{\"topic\":\"" + a + "\",\"data\":1},{\"topic\":\"" + a + "\"}]}";
        publishBatch(ADMIN, body).then().statusCode(400).body("detail", containsString("events[1]"));
        assertEquals(List.of(), historyIds(a));
    }

    @Test
    void typeDefaultsToMessage() {
        String topic = topic("room");
        publish(ADMIN, topic, "{\"data\":{\"x\":1}}").then().statusCode(202);
        HttpApi.history(topic, null).then().body("events[0].type", equalTo("message"));
    }

    @Test
    void dataMayBeAnyJsonValue() {
        String topic = topic("room");
        for (String data : List.of("\"just a string\"", "42", "3.5", "[1,\"two\",{\"three\":3}]", "null", "true",
                "{}")) {
            publish(ADMIN, topic, "{\"data\":" + data + "}").then().statusCode(202);
        }
        JsonPath history = HttpApi.history(topic, null).then().statusCode(200).extract().jsonPath();
        assertEquals(7, history.getList("events").size());
        assertEquals("just a string", history.getString("events[0].data"));
        assertEquals(42, history.getInt("events[1].data"));
        assertEquals(3.5f, history.getFloat("events[2].data"));
        assertEquals(List.of(1, "two", java.util.Map.of("three", 3)), history.getList("events[3].data"));
        assertTrue(history.getMap("events[4]").containsKey("data"), "null data is kept as a null value");
        assertNull(history.get("events[4].data"));
        assertEquals(true, history.getBoolean("events[5].data"));
        assertEquals(java.util.Map.of(), history.getMap("events[6].data"));
    }

    @Test
    void missingDataIsRefused() {
        String topic = topic("room");
        publish(ADMIN, topic, "{\"type\":\"msg\"}").then().statusCode(400)
                .contentType("application/problem+json").body("status", equalTo(400))
                .body("detail", containsString("data"));
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void dataOver64KiBIsRefusedWith413() {
        String topic = topic("room");
        // A JSON string of n characters is n + 2 bytes with its quotes.
        publish(ADMIN, topic, "{\"data\":\"" + "x".repeat(65536 - 2 + 1) + "\"}").then().statusCode(413)
                .contentType("application/problem+json");
        assertEquals(List.of(), historyIds(topic));
    }

    @Test
    void dataOfExactly64KiBIsAccepted() {
        String topic = topic("room");
        publish(ADMIN, topic, "{\"data\":\"" + "x".repeat(65536 - 2) + "\"}").then().statusCode(202);
        assertEquals(1, historyIds(topic).size());
    }
}
