package dev.herald.broker.redis;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.Management;
import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.PollClient;
import dev.herald.support.PollClient.Answer;
import dev.herald.support.Profiles;
import dev.herald.support.RedisServer;
import dev.herald.support.RedisTestResource;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Long polling on the Redis broker (one node, real redis-server; the same application instance as
 * {@link RedisModeTest}): replay from the topic's Stream, live events through pub/sub, 503 while Redis
 * is down. (A cursor answered by another node: {@code TwoNodesIT}.)
 */
@QuarkusTest
@TestProfile(Profiles.RedisMode.class)
class RedisModePollTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @TestHTTPResource("/")
    URI base;

    private final String token = TestTokens.admin();

    private PollClient.Request poll(String topic) {
        return PollClient.to(base, List.of(topic)).token(token);
    }

    @Test
    void pollsReplayFromTheStreamAndAHeldPollIsAnsweredByALiveEvent() {
        String topic = HttpApi.topic("rpoll");
        String cursor = poll(topic).timeout(0).send().ok().cursor();
        List<String> missed = List.of(HttpApi.publishOk(token, topic, "m", "1"), HttpApi.publishOk(token, topic, "m", "2"));
        Answer replayed = poll(topic).cursor(cursor).timeout(60).send().ok();
        assertEquals(missed, replayed.ids());

        double held = Metrics.value("herald_connections", "transport=\"poll\"");
        CompletableFuture<Answer> pending = poll(topic).cursor(replayed.cursor()).timeout(60).hold();
        await().atMost(WAIT).until(() -> Metrics.value("herald_connections", "transport=\"poll\"") == held + 1);
        assertFalse(pending.isDone());
        String live = HttpApi.publishOk(token, topic, "m", "3");
        assertEquals(List.of(live), PollClient.await(pending, WAIT).ok().ids());
    }

    @Test
    void whileRedisIsDownAPollGets503WithRetryAfter() {
        RedisServer redis = RedisTestResource.server();
        String topic = HttpApi.topic("rpoll-down");
        redis.stop();
        try {
            await().atMost(WAIT).until(() -> Management.given().get("/q/health/ready").statusCode() == 503);
            assertEquals(503, given().get("/q/health/ready").statusCode(), "the API port gives the same verdict");
            Map<String, Object> check = Management.given().get("/q/health/ready").jsonPath()
                    .getMap("checks.find { it.name == 'herald-broker' }.data");
            assertEquals("redis", check.get("broker"));
            assertFalse(check.containsKey("jobs"), "the job store is not asked while the broker is down: " + check);
            Answer answer = poll(topic).timeout(5).send();
            assertEquals(503, answer.status(), answer.body());
            assertTrue(answer.header("Content-Type").startsWith("application/problem+json"));
            assertTrue(Integer.parseInt(answer.header("Retry-After")) >= 1);
            assertFalse(answer.body().contains(String.valueOf(redis.port())), "no Redis details: " + answer.body());
        } finally {
            redis.start();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> Management.given().get("/q/health/ready").statusCode() == 200);
        poll(topic).timeout(0).send().ok();
    }
}
