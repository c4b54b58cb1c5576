package dev.herald.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.herald.support.TestKeyResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import org.junit.jupiter.api.Test;

/** The packaged jar in the prod profile serves the browser client and the demo page, revalidated on each use. */
@QuarkusIntegrationTest
@WithTestResource(TestKeyResource.class)
class BrowserAssetsIT {

    @Test
    void servesHeraldJsAsAnEsModule() {
        given().get("/herald.js").then().statusCode(200)
                .header("Content-Type", startsWith("text/javascript"))
                .header("Cache-Control", equalTo("no-cache"))
                .body(containsString("export class Herald"));
    }

    @Test
    void servesTheDemoPageAtTheRoot() {
        given().get("/").then().statusCode(200)
                .header("Content-Type", startsWith("text/html"))
                .header("Cache-Control", equalTo("no-cache"))
                .body(containsString("<script type=\"module\" src=\"/demo.js\"></script>"));
        given().get("/demo.js").then().statusCode(200).body(containsString("from '/herald.js'"));
    }

    @Test
    void anUnchangedHeraldJsIsNotSentAgain() {
        String lastModified = given().get("/herald.js").then().statusCode(200).extract().header("Last-Modified");
        given().header("If-Modified-Since", lastModified).get("/herald.js").then().statusCode(304);
    }
}
