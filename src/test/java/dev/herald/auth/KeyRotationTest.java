package dev.herald.auth;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.jwt.build.Jwt;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rotating the signing key (README, operations guide): the server trusts a JWK set holding the old and
 * the new public key, each with its {@code kid}; tokens signed with either are accepted while both are
 * listed, and a key not in the set is refused.
 */
@QuarkusTest
@TestProfile(KeyRotationTest.TwoKeys.class)
class KeyRotationTest {

    public static class TwoKeys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mp.jwt.verify.publickey.location", "test-keys/rotation-jwks.json");
        }
    }

    private static String signed(String privateKey, String kid) {
        var claims = Jwt.issuer(TestTokens.ISSUER).subject("rotating").claim("subscribe", List.of("*"))
                .claim("publish", List.of("*")).expiresIn(600).jws();
        return (kid == null ? claims : claims.keyId(kid)).sign(privateKey);
    }

    private static int publish(String token) {
        return given().auth().oauth2(token).contentType("application/json").body("{\"type\":\"t\",\"data\":1}")
                .post("/v1/topics/" + HttpApi.topic("rotation") + "/events").statusCode();
    }

    @Test
    void tokensOfTheOldAndTheNewKeyAreBothAcceptedDuringTheRotation() {
        assertEquals(202, publish(signed("test-keys/jwt-private.pem", "herald-test-2025")),
                "old key");
        assertEquals(202, publish(signed("test-keys/other-private.pem", "herald-test-2026")),
                "new key");
    }

    @Test
    void withSeveralKeysInTheSetATokenMustNameItsKey() {
        assertEquals(401, publish(signed("test-keys/jwt-private.pem", null)),
                "no kid: the set does not say which key, so the token is refused (the guide tells issuers to set kid)");
    }

    @Test
    void aKeyOutsideTheSetOrAKidNamingAnotherKeyIsRefused() {
        assertEquals(401, publish(signed("test-keys/third-private.pem", "herald-test-2027")),
                "unknown kid");
        assertEquals(401, publish(signed("test-keys/third-private.pem", "herald-test-2026")),
                "known kid, wrong key");
    }
}
