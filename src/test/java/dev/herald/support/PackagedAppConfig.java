package dev.herald.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * What an operator hands the packaged jar that a {@code @QuarkusIntegrationTest} starts in the prod
 * profile: the test public key (the prod profile has none) and a management port of its own on loopback
 * (the prod default, 9000 on every interface, would collide between test runs and face the network).
 */
public class PackagedAppConfig implements QuarkusTestResourceLifecycleManager {

    private static volatile int managementPort;

    @Override
    public Map<String, String> start() {
        try (ServerSocket s = new ServerSocket(0)) {
            managementPort = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("mp.jwt.verify.publickey.location",
                Path.of("src/test/resources/test-keys/jwt-public.pem").toAbsolutePath().toString(),
                "mp.jwt.verify.issuer", TestTokens.ISSUER,
                "quarkus.management.port", String.valueOf(managementPort),
                "quarkus.management.host", "localhost");
    }

    /** The management interface (probes, metrics) of the packaged application. */
    public static URI management() {
        return URI.create("http://localhost:" + managementPort + "/");
    }

    @Override
    public void stop() {
    }
}
