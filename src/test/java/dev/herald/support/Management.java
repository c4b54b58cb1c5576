package dev.herald.support;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The management interface of the application under test ({@code @QuarkusTest}): probes and metrics are
 * served there, not on the API port. The test profile binds it to a free port
 * ({@code quarkus.management.test-port=0}); this resolves the port the server actually took.
 */
public final class Management {

    private Management() {
    }

    public static int port() {
        return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
    }

    public static URI base() {
        return URI.create("http://localhost:" + port() + "/");
    }

    /** A RestAssured request to the management port, e.g. {@code Management.given().get("/q/health/ready")}. */
    public static RequestSpecification given() {
        return RestAssured.given().baseUri("http://localhost").port(port());
    }
}
