package dev.herald.web;

import static dev.herald.support.HttpApi.historyIds;
import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.support.SseClient;
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

/**
 * Cross-site WebSocket hijacking under {@code herald.cors.origins=*} (issue 13, defect 4): any origin may
 * connect, but "without credentials": the {@code herald_token} cookie a browser attaches on its own does
 * not authenticate a request from a foreign origin; a token in a header, the query or the first message
 * still does.
 */
@QuarkusTest
@TestProfile(AnyOriginCookieTest.AnyOrigin.class)
class AnyOriginCookieTest {

    public static class AnyOrigin implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.cors.origins", "*");
        }
    }

    static final String EVIL = "https://evil.example";
    final String victim = TestTokens.token("victim", List.of(), List.of("user:victim"));

    @TestHTTPResource("/")
    URI base;

    @Test
    void anEvilPageCannotSubscribeOrPublishAsTheVictimWithItsCookie() {
        try (WsClient ws = WsClient.to(base).header("Origin", EVIL).header("Cookie", "herald_token=" + victim).connect()) {
            ws.send("{\"op\":\"subscribe\",\"topics\":[\"user:victim\"],\"ref\":1}");
            assertEquals("unauthorized", ws.expect("error").get("code").asText(), "the cookie did not authenticate");
            ws.send("{\"op\":\"publish\",\"topic\":\"user:victim\",\"data\":1,\"ref\":2}");
            assertEquals("unauthorized", ws.expect("error").get("code").asText());
        }
        try (SseClient sse = SseClient.request(base, List.of("user:victim")).header("Origin", EVIL)
                .header("Cookie", "herald_token=" + victim).openRaw()) {
            assertEquals(401, sse.status(), "an SSE stream from a foreign origin is not authenticated by the cookie");
        }
        assertEquals(List.of(), historyIds("user:victim"));
    }

    @Test
    void theCookieStillWorksForTheServersOwnPagesAndTokensWorkFromAnyOrigin() {
        String topic = topic("room");
        String self = "http://" + base.getHost() + ":" + base.getPort();
        try (WsClient ws = WsClient.to(base).header("Origin", self).header("Cookie", "herald_token=" + victim).connect()) {
            JsonNode subscribed = ws.subscribe("[\"user:victim\"]", null);
            assertEquals("subscribed", subscribed.get("type").asText());
        }
        try (WsClient ws = WsClient.to(base).header("Origin", EVIL).connect()) {
            ws.send("{\"op\":\"auth\",\"token\":\"" + victim + "\"}");
            ws.expect("authenticated");
            ws.subscribe("[\"user:victim\"]", null);
        }
        given().header("Origin", EVIL).auth().oauth2(TestTokens.admin()).contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/" + topic + "/events").then().statusCode(202);
    }
}
