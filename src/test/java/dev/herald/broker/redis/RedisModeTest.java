package dev.herald.broker.redis;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.Profiles;
import dev.herald.support.RedisServer;
import dev.herald.support.RedisTestResource;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Herald itself in Redis mode (one node, real redis-server): subscriptions, readiness, 503s. */
@QuarkusTest
@TestProfile(Profiles.RedisMode.class)
class RedisModeTest {

    @TestHTTPResource("/")
    URI base;

    private final String token = TestTokens.admin();

    @Test
    void theNodeSubscribesToATopicOnceWhileItHasLocalSubscribers() {
        String topic = HttpApi.topic("rc");
        assertEquals(0, numsub(topic));
        SseClient first = SseClient.open(base, List.of(topic), token, null);
        SseClient second = SseClient.open(base, List.of(topic), token, null);
        assertNotNull(first.next(Duration.ofSeconds(5)));
        assertNotNull(second.next(Duration.ofSeconds(5)));
        assertEquals(1, numsub(topic), "one Redis subscription per topic and node, not per connection");
        first.close();
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> numsub(topic) == 1);
        String id = HttpApi.publishOk(token, topic, "m", "1");
        assertTrue(second.nextEvent(Duration.ofSeconds(5)).data().contains(id));
        second.close();
        assertEquals(1, numsub(topic), "the node lingers on the topic (herald.subscription.linger) for a reconnect");
        await().atMost(Duration.ofSeconds(5)).until(() -> numsub(topic) == 0);
    }

    @Test
    void whileRedisIsDownPublishAnswers503WithRetryAfterAndReadinessIsDown() {
        RedisServer redis = RedisTestResource.server();
        String topic = HttpApi.topic("down");
        HttpApi.publishOk(token, topic, "m", "1");
        given().get("/q/health/ready").then().statusCode(200);
        redis.stop();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/q/health/ready").statusCode() == 503);
            String problem = HttpApi.publish(token, topic, "{\"data\":2}").then().statusCode(503)
                    .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                    .contentType("application/problem+json").extract().asString();
            assertTrue(!problem.contains("127.0.0.1") && !problem.contains(String.valueOf(redis.port())),
                    "the problem must not reveal where Redis is: " + problem);
            // A new SSE subscription is told to come back later, as a stream EventSource retries.
            try (SseClient sse = SseClient.open(base, List.of(topic), token, null)) {
                assertEquals(200, sse.status());
                SseClient.Frame retry = sse.next(Duration.ofSeconds(5));
                assertNotNull(retry);
                assertNotNull(retry.retry(), "a retry: tells EventSource when to come back");
                await().atMost(Duration.ofSeconds(5)).until(sse::ended);
            }
            given().get("/q/health/live").then().statusCode(200);
        } finally {
            redis.start();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> given().get("/q/health/ready").statusCode() == 200);
        HttpApi.publishOk(token, topic, "m", "3");
        // The refused event was not stored: history has 1 and 3 only.
        List<Object> data = given().header("Authorization", "Bearer " + token)
                .get("/v1/topics/{t}/events", topic).then().statusCode(200).extract().path("events.data");
        assertEquals(List.of(1, 3), data);
    }

    private static long numsub(String topic) {
        // Reply: *2 $<n> channel :count -> the command helper returns the first line only, so ask by script.
        String reply = RedisTestResource.server().command("EVAL",
                "return redis.call('PUBSUB','NUMSUB',KEYS[1])[2]", "1", "herald:{" + topic + "}:c");
        return Long.parseLong(reply.substring(1));
    }
}
