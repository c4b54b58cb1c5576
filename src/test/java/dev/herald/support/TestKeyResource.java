package dev.herald.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * For {@code @QuarkusIntegrationTest}s of the packaged jar: the prod profile has no key of its own, so
 * it is handed the test public key and issuer at start, as an operator hands theirs; and a management
 * port of its own on loopback (the prod default, 9000 on every interface, would collide between test
 * runs and face the network), found at {@link #management()}.
 */
public class TestKeyResource implements QuarkusTestResourceLifecycleManager {

    private static volatile int managementPort;

    @Override
    public Map<String, String> start() {
        managementPort = FreePorts.next();
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
