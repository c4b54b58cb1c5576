package dev.herald.history;

import static dev.herald.support.HttpApi.history;
import static dev.herald.support.HttpApi.historyIds;
import static dev.herald.support.HttpApi.publishBatch;
import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HistoryApiTest {

    static final String ADMIN = TestTokens.admin();

    /** Publishes n events with data 0..n-1 in one batch and returns their ids. */
    private static List<String> publishMany(String topic, int n) {
        StringBuilder body = new StringBuilder("{\"events\":[");
        for (int i = 0; i < n; i++) {
            body.append(i == 0 ? "" : ",").append("{\"topic\":\"").append(topic).append("\",\"data\":").append(i)
                    .append('}');
        }
        return publishBatch(ADMIN, body.append("]}").toString()).then().statusCode(202)
                .extract().jsonPath().getList("results.id");
    }

    @Test
    void historyListsEventsOldestFirst() {
        String topic = topic("room");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(HttpApi.publishOk(topic, String.valueOf(i)));
        }
        history(topic, null).then().statusCode(200).contentType("application/json")
                .body("events.id", equalTo(ids))
                .body("events.data", equalTo(List.of(0, 1, 2, 3, 4)))
                .body("events.topic", equalTo(List.of(topic, topic, topic, topic, topic)));
    }

    @Test
    void historyOfAnUnknownTopicIsEmpty() {
        history(topic("room"), null).then().statusCode(200).body("events", hasSize(0));
    }

    @Test
    void afterReturnsOnlyEventsAfterTheGivenId() {
        String topic = topic("room");
        List<String> ids = publishMany(topic, 5);
        history(topic, "after=" + ids.get(1)).then().statusCode(200).body("events.id", equalTo(ids.subList(2, 5)));
        history(topic, "after=" + ids.get(4)).then().statusCode(200).body("events", hasSize(0));
    }

    @Test
    void afterAndLimitPageThroughHistoryWithoutGapOrRepeat() {
        String topic = topic("room");
        List<String> ids = publishMany(topic, 10);
        List<String> seen = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 5; page++) {
            List<String> got = history(topic, "limit=3" + (after == null ? "" : "&after=" + after))
                    .then().statusCode(200).extract().jsonPath().getList("events.id");
            if (got.isEmpty()) {
                break;
            }
            seen.addAll(got);
            after = got.get(got.size() - 1);
        }
        assertEquals(ids, seen);
    }

    @Test
    void limitDefaultsTo100() {
        String topic = topic("room");
        List<String> ids = publishMany(topic, 150);
        history(topic, null).then().statusCode(200).body("events.id", equalTo(ids.subList(0, 100)));
    }

    @Test
    void limitOf1000IsAllowedAndReturnsUpTo1000() {
        String topic = topic("room");
        List<String> ids = publishMany(topic, 1000);
        history(topic, "limit=1000").then().statusCode(200).body("events", hasSize(1000));
        assertEquals(ids, historyIds(topic));
    }

    @Test
    void limitOf1001IsRefused() {
        history(topic("room"), "limit=1001").then().statusCode(400).contentType("application/problem+json")
                .body("status", equalTo(400)).body("detail", containsString("limit"));
    }

    @Test
    void limitOfZeroIsRefused() {
        history(topic("room"), "limit=0").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void negativeLimitIsRefused() {
        history(topic("room"), "limit=-1").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void nonNumericLimitIsRefused() {
        history(topic("room"), "limit=abc").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void invalidAfterIdIsRefused() {
        String topic = topic("room");
        for (String after : List.of("abc", "1-", "-1", "1-2-3", "12", "1-x", "99999999999999999999999-0")) {
            history(topic, "after=" + after).then().statusCode(400).contentType("application/problem+json");
        }
    }

    @Test
    void invalidTopicIsRefused() {
        given().header("Authorization", "Bearer " + ADMIN).get("/v1/topics/{topic}/events", "bad topic")
                .then().statusCode(400).contentType("application/problem+json");
        given().header("Authorization", "Bearer " + ADMIN).get("/v1/topics/{topic}/events", ":leading-colon")
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void readingANonPublicTopicWithoutATokenIs401() {
        String topic = topic("room");
        HttpApi.publishOk(topic, "1");
        given().get("/v1/topics/{topic}/events", topic).then().statusCode(401)
                .contentType("application/problem+json").header("WWW-Authenticate", containsString("Bearer"));
    }

    @Test
    void readingATopicOutsideTheTokensSubscribeClaimsIs403() {
        String topic = topic("room");
        String token = TestTokens.token("carol", List.of("other:*"), List.of("*"));
        given().header("Authorization", "Bearer " + token).get("/v1/topics/{topic}/events", topic)
                .then().statusCode(403).contentType("application/problem+json");
    }

    @Test
    void anonymousClientsMayReadPublicTopics() {
        String topic = topic("public");
        String id = HttpApi.publishOk(topic, "\"news\"");
        given().get("/v1/topics/{topic}/events", topic).then().statusCode(200)
                .body("events.id", equalTo(List.of(id))).body("events[0].data", equalTo("news"));
    }
}
