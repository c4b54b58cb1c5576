package dev.herald.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.TestKeyResource;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packaged jar in the prod profile: serves the API and probes, and mints no tokens. */
@QuarkusIntegrationTest
@WithTestResource(TestKeyResource.class)
class ProdProfileIT {

    @TestHTTPResource("/")
    URI base;

    @Test
    void devTokenEndpointDoesNotExistInProd() {
        given().get("/dev/token").then().statusCode(404);
        given().get("/dev/token?sub=root&publish=*").then().statusCode(404);
        given().post("/dev/token").then().statusCode(404);
    }

    @Test
    void publishesAndStreamsWithAnOperatorKey() {
        try (SseClient sse = SseClient.open(base, List.of("it:prod"), TestTokens.admin(), null)) {
            assertEquals(200, sse.status(), sse.errorBody());
            assertNotNull(sse.next(Duration.ofSeconds(5)));
            String id = HttpApi.publishOk(TestTokens.admin(), "it:prod", "greeting", "{\"hello\":\"prod\"}");
            SseClient.Frame frame = sse.nextEvent(Duration.ofSeconds(5));
            assertNotNull(frame);
            assertEquals("greeting", frame.event());
            org.junit.jupiter.api.Assertions.assertTrue(frame.data().contains("\"id\":\"" + id + "\""));
        }
    }

    @Test
    void tokensFromOtherIssuersAreRefused() {
        HttpApi.publish(TestTokens.wrongIssuer("mallory"), "it:prod", "{\"data\":1}").then().statusCode(401);
        HttpApi.publish(null, "it:prod", "{\"data\":1}").then().statusCode(401);
    }

    @Test
    void metricsAndFullProbeReportsAreOnTheManagementPortOnly() {
        URI management = TestKeyResource.management();
        for (String probe : List.of("live", "ready", "started")) {
            given().baseUri(management.toString()).get("/q/health/" + probe).then().statusCode(200)
                    .body("status", equalTo("UP")).body("checks", not(empty()));
            given().get("/q/health/" + probe).then().statusCode(200).body("status", equalTo("UP"))
                    .body("checks", nullValue());
        }
        given().get("/q/health").then().statusCode(404);
        given().baseUri(management.toString()).get("/q/metrics").then().statusCode(200)
                .body(containsString("herald_events_published_total"));
        given().get("/q/metrics").then().statusCode(404);
    }

    @Test
    void theAdminPageIsServedToAdminTokensOnly() {
        given().get("/admin").then().statusCode(401).contentType("application/problem+json");
        given().header("Authorization", "Bearer " + TestTokens.admin()).get("/admin").then().statusCode(403);
        given().header("Authorization", "Bearer " + TestTokens.operator()).get("/admin").then().statusCode(200)
                .body(containsString("/admin.js"));
        given().get("/admin.js").then().statusCode(200).header("Cache-Control", equalTo("no-cache"));
    }

    @Test
    void statsNameTheNodeVersionAndBroker() {
        given().get("/v1/stats").then().statusCode(200)
                .body("version", equalTo("0.1.0-SNAPSHOT"))
                .body("broker", equalTo("memory"))
                .body("connections.sse", equalTo(0))
                .body("draining", equalTo(false));
    }
}
