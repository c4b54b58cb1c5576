package dev.herald.auth;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Removing a key from the JWK set takes effect while Herald runs: tokens of that key, even ones verified
 * (and cached) before, are refused once {@code herald.auth.key-check-interval} has seen the change.
 * smallrye-jwt alone reads a key file once, so a compromised key stayed trusted until a restart.
 */
@QuarkusTest
@TestProfile(KeyChangeTest.KeysInAFile.class)
class KeyChangeTest {

    static final Path JWKS = Path.of("target", "key-change-jwks.json").toAbsolutePath();

    public static class KeysInAFile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try (InputStream both = KeyChangeTest.class.getClassLoader().getResourceAsStream("test-keys/rotation-jwks.json")) {
                Files.createDirectories(JWKS.getParent());
                Files.write(JWKS, both.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // A one-second clock-skew allowance (0 means the default, 60 s): a cached token must stop
            // working at its exp, not a minute later.
            return Map.of("mp.jwt.verify.publickey.location", JWKS.toUri().toString(),
                    "herald.auth.key-check-interval", "1s", "mp.jwt.verify.clock.skew", "1");
        }
    }

    private static String signed(String privateKey, String kid) {
        return Jwt.issuer(TestTokens.ISSUER).subject("keyed").claim("publish", List.of("*")).expiresIn(600).jws()
                .keyId(kid).sign(privateKey);
    }

    private static int publish(String token) {
        return given().auth().oauth2(token).contentType("application/json").body("{\"data\":1}")
                .post("/v1/topics/" + HttpApi.topic("keys") + "/events").statusCode();
    }

    @Test
    void aCachedTokenStopsWorkingAtItsExpiry() {
        String shortLived = Jwt.issuer(TestTokens.ISSUER).subject("brief").claim("publish", List.of("*")).expiresIn(5)
                .jws().keyId("herald-test-2025").sign("test-keys/jwt-private.pem");
        assertEquals(202, publish(shortLived), "valid, and now cached");
        assertEquals(202, publish(shortLived), "served from the cache");
        await().atMost(Duration.ofSeconds(15)).until(() -> publish(shortLived) == 401);
    }

    @Test
    void aTokenOfAKeyRemovedFromTheSetIsRefusedEvenIfVerifiedBefore() throws IOException {
        String oldKey = signed("test-keys/jwt-private.pem", "herald-test-2025");
        String leaked = signed("test-keys/other-private.pem", "herald-test-2026");
        assertEquals(202, publish(leaked), "trusted while listed (and now cached)");
        assertEquals(202, publish(oldKey));

        ObjectMapper json = new ObjectMapper();
        ObjectNode set = (ObjectNode) json.readTree(JWKS.toFile());
        ArrayNode kept = json.createArrayNode();
        set.withArray("keys").forEach(key -> {
            if (!key.path("kid").asText().equals("herald-test-2026")) {
                kept.add(key);
            }
        });
        set.set("keys", kept);
        Files.writeString(JWKS.resolveSibling("key-change-jwks.tmp"), json.writeValueAsString(set));
        Files.move(JWKS.resolveSibling("key-change-jwks.tmp"), JWKS, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        await().atMost(Duration.ofSeconds(15)).until(() -> publish(leaked) == 401);
        assertEquals(202, publish(oldKey), "the key still listed still verifies");
    }
}
