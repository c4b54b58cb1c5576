package dev.herald.ops;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/stats}: the node's identity, broker and connections by transport, without a token. */
@QuarkusTest
class StatsTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    @TestHTTPResource("/")
    URI base;

    private static JsonPath stats() {
        return given().get("/v1/stats").then().statusCode(200).contentType("application/json").extract().jsonPath();
    }

    @Test
    void describesTheNodeWithoutAToken() {
        given().get("/v1/stats").then().statusCode(200)
                .body("node", not(emptyOrNullString()))
                .body("instance", matchesPattern("[0-9a-f-]{13}"))
                .body("version", equalTo("0.1.0-SNAPSHOT"))
                .body("runtime", matchesPattern("Java \\d+"))
                .body("broker", equalTo("memory"))
                .body("brokerAvailable", equalTo(true))
                .body("draining", equalTo(false))
                .body("maxConnections", equalTo(50000))
                .body("uptimeSeconds", greaterThanOrEqualTo(0))
                .body("started", matchesPattern("\\d{4}-\\d\\d-\\d\\dT.*Z"));
    }

    @Test
    void countsConnectionsByTransportAndSubscriptions() {
        String topic = HttpApi.topic("stats");
        JsonPath before = stats();
        long sse = before.getLong("connections.sse");
        long ws = before.getLong("connections.ws");
        long subscriptions = before.getLong("subscriptions");
        try (SseClient stream = SseClient.open(base, List.of(topic, topic + "x"), TestTokens.admin(), null);
             WsClient socket = WsClient.to(base).bearer(TestTokens.admin()).connect()) {
            stream.preamble(WAIT);
            socket.subscribe("[\"" + topic + "\"]", null);
            JsonPath during = stats();
            assertEquals(sse + 1, during.getLong("connections.sse"));
            assertEquals(ws + 1, during.getLong("connections.ws"));
            assertEquals(subscriptions + 3, during.getLong("subscriptions"));
            assertEquals(0, during.getLong("connections.poll"));
        }
        await().atMost(WAIT).until(() -> stats().getLong("connections.sse") == sse
                && stats().getLong("connections.ws") == ws);
    }
}
