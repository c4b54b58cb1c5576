package dev.herald.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A page of an allowed origin may use Herald across origins; any other origin gets no CORS headers. */
@QuarkusTest
@TestProfile(CrossOriginTest.AppOrigin.class)
class CrossOriginTest {

    public static class AppOrigin implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.cors.origins", "https://app.example");
        }
    }

    @Test
    void anAllowedOriginMayLoadTheClientAndPublishAfterAPreflight() {
        given().header("Origin", "https://app.example").get("/herald.js").then().statusCode(200)
                .header("Access-Control-Allow-Origin", "https://app.example")
                .header("Access-Control-Allow-Credentials", "true");
        given().header("Origin", "https://app.example").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .options("/v1/topics/room:x/events").then().statusCode(204)
                .header("Access-Control-Allow-Origin", "https://app.example")
                .header("Access-Control-Allow-Headers", containsString("Authorization"))
                .header("Access-Control-Allow-Methods", containsString("POST"));
        given().header("Origin", "https://app.example").header("Authorization", "Bearer " + TestTokens.admin())
                .contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/room:cors/events").then().statusCode(202)
                .header("Access-Control-Allow-Origin", "https://app.example")
                .header("Access-Control-Expose-Headers", containsString("Retry-After"));
    }

    @Test
    void anotherOriginGetsNoCorsHeadersAndItsPreflightIsNotApproved() {
        given().header("Origin", "https://evil.example").get("/herald.js").then().statusCode(200)
                .header("Access-Control-Allow-Origin", nullValue());
        given().header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST")
                .options("/v1/topics/room:x/events").then()
                .header("Access-Control-Allow-Origin", nullValue());
        given().get("/v1/topics/room:x/presence").then().statusCode(401)
                .header("Access-Control-Allow-Origin", nullValue())
                .body("status", equalTo(401));
    }
}
