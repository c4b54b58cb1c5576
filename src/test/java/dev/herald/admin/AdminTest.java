package dev.herald.admin;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The admin page and its live stream: only for tokens with the admin claim, and what the stream says. */
@QuarkusTest
class AdminTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URI base;

    private final String operator = TestTokens.operator();

    @Test
    void thePageAndItsStreamNeedATokenWithTheAdminClaim() {
        for (String path : List.of("/admin", "/admin/stream")) {
            given().get(path).then().statusCode(401).contentType("application/problem+json")
                    .body("status", equalTo(401));
            // Every topic right is not the admin right.
            given().header("Authorization", "Bearer " + TestTokens.admin()).get(path).then().statusCode(403)
                    .contentType("application/problem+json").body("detail", containsString("admin"));
            // Only the JSON value true grants it.
            String stringTrue = TestTokens.signedPayload(TestTokens.adminClaims(
                    String.valueOf(Instant.now().plusSeconds(600).getEpochSecond()), "\"admin\":\"true\""));
            given().header("Authorization", "Bearer " + stringTrue).get(path).then().statusCode(403);
        }
    }

    @Test
    void anOperatorGetsThePageByHeaderCookieOrQueryAndItsScriptIsPublic() {
        given().header("Authorization", "Bearer " + operator).get("/admin").then().statusCode(200)
                .contentType(containsString("text/html"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                .header("Referrer-Policy", "no-referrer")
                .body(containsString("<script src=\"/admin.js\"></script>"));
        given().cookie("herald_token", operator).get("/admin").then().statusCode(200);
        given().queryParam("access_token", operator).get("/admin").then().statusCode(200);
        given().get("/admin.js").then().statusCode(200).body(containsString("/admin/stream"));
        given().get("/admin.css").then().statusCode(200);
    }

    @Test
    void theStreamShowsThisNodeAndWhatItCarriesEverySecond() throws Exception {
        String topic = HttpApi.topic("admin");
        try (SseClient admin = SseClient.request(base, List.of()).path("/admin/stream").token(operator).open();
             SseClient subscriber = SseClient.open(base, List.of(topic), operator, null)) {
            assertEquals(200, admin.status(), admin.errorBody());
            subscriber.preamble(WAIT);
            JsonNode first = snapshot(admin);
            JsonNode self = first.path("self");
            assertNotNull(self.path("instance").textValue());
            assertEquals("memory", self.path("broker").asText());
            assertEquals(self.path("instance").asText(), first.path("nodes").get(0).path("instance").asText(),
                    "the node sees itself through the broker");

            AtomicReference<JsonNode> seen = new AtomicReference<>();
            await().atMost(WAIT).until(() -> {
                HttpApi.publishOk(operator, topic, "m", "1");
                JsonNode s = snapshot(admin).path("self");
                seen.set(s);
                return s.path("connections").path("sse").asLong() >= 1 && s.path("publishesPerSecond").asDouble() > 0
                        && s.path("deliveriesPerSecond").asDouble() > 0 && !s.path("latencyP99Millis").isNull()
                        && s.path("topics").toString().contains("\"" + topic + "\"");
            });
            assertTrue(seen.get().path("brokerAvailable").asBoolean(), seen.get().toString());
        }
    }

    private static JsonNode snapshot(SseClient stream) throws Exception {
        SseClient.Frame frame = stream.nextEvent(WAIT);
        assertNotNull(frame, "a snapshot every second");
        return JSON.readTree(frame.data());
    }
}
