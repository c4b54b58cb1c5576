package dev.herald.support;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;

/** Publishing through the real HTTP API, for tests. */
public final class HttpApi {

    private HttpApi() {
    }

    public static Response publish(String token, String topic, String body) {
        var spec = given().contentType("application/json").body(body);
        if (token != null) {
            spec = spec.header("Authorization", "Bearer " + token);
        }
        return spec.post("/v1/topics/{topic}/events", topic);
    }

    /** Publishes {@code {"type":type,"data":data}} and returns the event id; fails unless 202. */
    public static String publishOk(String token, String topic, String type, String dataJson) {
        return publish(token, topic, "{\"type\":\"" + type + "\",\"data\":" + dataJson + "}")
                .then().statusCode(202).extract().path("id");
    }
}
