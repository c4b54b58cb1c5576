package dev.herald.support;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import io.smallrye.jwt.util.KeyUtils;
import java.security.Signature;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/** Tokens for tests, signed with the test key pair in {@code src/test/resources/test-keys}. */
public final class TestTokens {

    public static final String ISSUER = "herald-test";
    static final String KEY = "test-keys/jwt-private.pem";
    static final String OTHER_KEY = "test-keys/other-private.pem";

    private TestTokens() {
    }

    public static String token(String subject, List<String> subscribe, List<String> publish) {
        return claims(subject, subscribe, publish).sign(KEY);
    }

    /** May subscribe and publish everywhere. */
    public static String admin() {
        return token("admin", List.of("*"), List.of("*"));
    }

    /** An operator: every topic right and the {@code admin} claim (the admin page). */
    public static String operator() {
        return claims("operator", List.of("*"), List.of("*")).claim("admin", true).sign(KEY);
    }

    /** Rights on job queues only: {@code enqueue}, {@code work} and {@code admin} queue patterns. */
    public static String queues(String subject, List<String> enqueue, List<String> work, List<String> admin) {
        return claims(subject, List.of(), List.of()).claim("enqueue", enqueue).claim("work", work)
                .claim("admin", admin).sign(KEY);
    }

    /** A service token named by {@code upn} only: valid, but without a {@code sub}. */
    public static String withoutSubject(String upn, List<String> subscribe, List<String> publish) {
        return Jwt.issuer(ISSUER).upn(upn).claim("subscribe", subscribe).claim("publish", publish)
                .expiresIn(3600).sign(KEY);
    }

    /** Valid for {@code seconds} more. */
    public static String expiringIn(String subject, long seconds) {
        return claims(subject, List.of("*"), List.of("*")).expiresIn(seconds).sign(KEY);
    }

    public static String expired(String subject) {
        return claims(subject, List.of("*"), List.of("*"))
                .issuedAt(Instant.now().minusSeconds(7200)).expiresAt(Instant.now().minusSeconds(3600)).sign(KEY);
    }

    public static String wrongIssuer(String subject) {
        return Jwt.issuer("someone-else").subject(subject).claim("subscribe", List.of("*"))
                .claim("publish", List.of("*")).expiresIn(3600).sign(KEY);
    }

    /** Signed by a key the server does not trust. */
    public static String foreignKey(String subject) {
        return claims(subject, List.of("*"), List.of("*")).sign(OTHER_KEY);
    }

    /** A valid token whose payload was edited after signing (rights escalated). */
    public static String tampered(String subject) {
        String valid = token(subject, List.of("public:*"), List.of());
        String[] parts = valid.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"public:*\"", "\"*\"");
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    }

    /** An unsigned token ({@code alg: none}) claiming every right. */
    public static String algNone(String subject) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        long exp = Instant.now().plusSeconds(3600).getEpochSecond();
        String payload = b64.encodeToString(("{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + subject + "\",\"exp\":" + exp
                + ",\"subscribe\":[\"*\"],\"publish\":[\"*\"]}").getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + ".";
    }

    /**
     * A token whose claims are exactly {@code payloadJson}, signed (RS256) with the trusted test key: for
     * claims the token builder cannot express (an {@code exp} of 1e300, claims nested thousands deep).
     */
    public static String signedPayload(String payloadJson) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                + "." + b64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8));
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(KeyUtils.readPrivateKey(KEY));
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + b64.encodeToString(rsa.sign());
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign a test token", e);
        }
    }

    /** The claims of a valid admin token, as JSON, with {@code extra} (a JSON member list, no braces) added. */
    public static String adminClaims(String exp, String extra) {
        return "{\"iss\":\"" + ISSUER + "\",\"sub\":\"admin\",\"iat\":" + Instant.now().getEpochSecond() + ",\"exp\":" + exp
                + ",\"subscribe\":[\"*\"],\"publish\":[\"*\"]" + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private static JwtClaimsBuilder claims(String subject, List<String> subscribe, List<String> publish) {
        return Jwt.issuer(ISSUER).subject(subject).claim("subscribe", subscribe).claim("publish", publish)
                .expiresIn(3600);
    }
}
