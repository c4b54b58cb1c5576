package dev.herald.presence;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.Metrics;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With herald.presence.topics narrowed to rooms, other topics have no members and answer no presence. */
@QuarkusTest
@TestProfile(PresenceTopicsTest.RoomsOnly.class)
class PresenceTopicsTest {

    public static class RoomsOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.presence.topics", "room:*");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void onlyTrackedTopicsHaveMembersAndAnswerPresence() {
        String token = TestTokens.token("zoe", List.of("room:*", "news:*"), List.of());
        double membersBefore = Metrics.value("herald_presence_members");
        try (WsClient ws = WsClient.to(base).bearer(token).connect()) {
            ws.subscribe("[\"room:tracked\",\"user:zoe\"]", null);
            ws.send("{\"op\":\"subscribe\",\"topics\":[\"news:x\"],\"presence\":true,\"ref\":1}");
            assertEquals("invalid", ws.expect("error").get("code").asText(), "presence asked where it is not tracked");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() ->
                    given().header("Authorization", "Bearer " + token).get("/v1/topics/room:tracked/presence")
                            .then().statusCode(200).body("users", org.hamcrest.Matchers.equalTo(List.of("zoe"))));
            given().header("Authorization", "Bearer " + token).get("/v1/topics/user:zoe/presence")
                    .then().statusCode(400).body("detail", org.hamcrest.Matchers.containsString("not tracked"));
            assertEquals(membersBefore + 1, Metrics.value("herald_presence_members"),
                    "one member (room:tracked) is counted; the untracked topics hold none");
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> Metrics.value("herald_presence_members") == membersBefore);
    }
}
