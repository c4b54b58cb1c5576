package dev.herald.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;

/**
 * For {@code @QuarkusIntegrationTest}s of the packaged jar: the prod profile has no key of its own, so
 * it is handed the test public key and issuer at start, as an operator hands theirs.
 */
public class TestKeyResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of("mp.jwt.verify.publickey.location",
                Path.of("src/test/resources/test-keys/jwt-public.pem").toAbsolutePath().toString(),
                "mp.jwt.verify.issuer", TestTokens.ISSUER);
    }

    @Override
    public void stop() {
    }
}
