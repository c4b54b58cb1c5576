package dev.herald.auth;

import io.smallrye.jwt.auth.principal.DefaultJWTTokenParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import org.jboss.logging.Logger;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.JwtContext;

/**
 * Checks a token's signature and standard claims with smallrye-jwt (as configured under
 * {@code mp.jwt.verify.*}), and watches the verification keys so that a key removed from the set stops
 * verifying without a restart.
 *
 * <p>Quarkus reads a key file once, at startup, and hands smallrye-jwt its content; a JWKS URL is
 * refreshed only every {@code smallrye.jwt.jwks.refresh-interval}. Herald re-reads the key location
 * every {@code herald.auth.key-check-interval}; when its content changed, a fresh parser (with a fresh
 * key resolver, and the new content) takes over and the {@code keysChanged} listener drops what it
 * cached.
 *
 * <p>{@link #verify} may read files or fetch a JWKS: call it off the event loop.
 */
final class TokenVerifier {

    private static final Logger LOG = Logger.getLogger(TokenVerifier.class);
    /**
     * Tokens longer than this are refused before they are parsed (header, cookie, query parameter and
     * WebSocket {@code auth} alike). Real tokens are a few hundred bytes to a few KiB.
     */
    static final int MAX_TOKEN_CHARS = 16 * 1024;
    /** JSON nesting allowed in a token's header and claims; jose4j's parser recurses per level. */
    static final int MAX_DEPTH = 32;
    /** The latest {@code exp} accepted (9999-12-31): beyond it, seconds overflow when turned into millis. */
    static final long MAX_EXP_SECONDS = 253_402_300_799L;

    /** A verified token: its claims and until when it may be trusted (epoch millis). */
    record Verified(JwtClaims claims, long expiresAtSeconds, long validUntilMillis) {
    }

    private final String location;
    private final Runnable keysChanged;
    private volatile JWTAuthContextInfo context;
    private volatile DefaultJWTTokenParser parser = new DefaultJWTTokenParser();
    private volatile byte[] keyFingerprint;

    /**
     * @param location    where the keys are read from (a file or a URL), or null; a classpath resource
     *                    is not watched
     * @param keysChanged called (on a worker thread) after the verification keys changed
     */
    TokenVerifier(JWTAuthContextInfo context, String location, Runnable keysChanged) {
        this.context = context;
        this.location = location;
        this.keysChanged = keysChanged;
        Keys keys = read(location);
        this.keyFingerprint = keys == null ? null : keys.fingerprint();
    }

    /**
     * Verifies a token.
     *
     * @throws AuthenticationException with reason {@code invalid} or {@code expired}
     */
    Verified verify(String token) {
        checkShape(token);
        JwtContext jwt;
        try {
            jwt = parser.parse(token, context);
        } catch (ParseException e) {
            boolean expired = isExpired(e);
            // The reason only: the parser's message quotes the token's claims.
            LOG.debugf("token refused: %s", expired ? "expired" : "not valid (signature, issuer, audience or claims)");
            throw new AuthenticationException(expired ? "expired" : "invalid",
                    expired ? "the token has expired" : "the token is not valid", null);
        } catch (StackOverflowError | RuntimeException e) {
            // Belt and braces behind checkShape: a token that breaks the parser is a bad token, not a 500.
            throw invalid("the token is not valid");
        }
        JwtClaims claims = jwt.getJwtClaims();
        long exp;
        Long iat;
        try {
            NumericDate expiry = claims.getExpirationTime();
            exp = expiry == null ? 0 : expiry.getValue();
            NumericDate issued = claims.getIssuedAt();
            iat = issued == null ? null : issued.getValue();
        } catch (MalformedClaimException e) {
            throw invalid("the token is not valid");
        }
        // An exp of 1e16 or 1e300 verifies (jose4j saturates it) but overflows every deadline computed
        // from it in milliseconds: streams would end at once as expired and clients loop reconnecting.
        if (exp <= 0 || exp > MAX_EXP_SECONDS) {
            throw invalid("the token's expiry (exp) is out of range");
        }
        long validUntil = exp * 1000;
        Long maxAge = context.getTokenAge();
        if (maxAge != null && iat != null) {
            validUntil = Math.min(validUntil, (iat + maxAge) * 1000);
        }
        return new Verified(claims, exp, validUntil);
    }

    /**
     * Refuses tokens that are too long or too deeply nested before any JSON parser sees them: claims
     * nested thousands of arrays deep overflowed jose4j's recursive parser's stack (a 500 and a
     * thousand-line stack trace per request).
     */
    static void checkShape(String token) {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw invalid("the token is too large");
        }
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0) {
            throw invalid("the token is not valid");
        }
        if (!shallow(token, 0, first) || !shallow(token, first + 1, second)) {
            throw invalid("the token is not valid");
        }
    }

    private static boolean shallow(String token, int from, int to) {
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(token.substring(from, to));
        } catch (IllegalArgumentException e) {
            return false;
        }
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '[' || b == '{') {
                if (++depth > MAX_DEPTH) {
                    return false;
                }
            } else if (b == ']' || b == '}') {
                depth--;
            }
        }
        return true;
    }

    private static AuthenticationException invalid(String message) {
        return new AuthenticationException("invalid", message, null);
    }

    private static boolean isExpired(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.jose4j.jwt.consumer.InvalidJwtException invalid && invalid.hasExpired()) {
                return true;
            }
        }
        return false;
    }

    // ---- key changes ----

    /**
     * Re-reads the key location; when its content changed, verifies with fresh keys from now on and
     * tells the listener. A location that cannot be read keeps the current keys (logged). Blocking.
     */
    void checkKeys() {
        Keys now = read(location);
        if (now == null || Arrays.equals(now.fingerprint(), keyFingerprint)) {
            return;
        }
        JWTAuthContextInfo fresh = new JWTAuthContextInfo(context);
        if (context.getPublicKeyContent() != null) {
            // The content Quarkus read at startup would otherwise be verified against forever.
            fresh.setPublicKeyContent(new String(now.content(), StandardCharsets.UTF_8));
        }
        context = fresh;
        parser = new DefaultJWTTokenParser();
        keyFingerprint = now.fingerprint();
        LOG.infof("the token verification keys at %s changed; verifying with the new keys", location);
        keysChanged.run();
    }

    /** Whether the keys come from a location that can change while Herald runs (a file or a URL). */
    boolean keysCanChange() {
        return keyFingerprint != null;
    }

    private record Keys(byte[] content, byte[] fingerprint) {
    }

    private static Keys read(String location) {
        if (location == null || location.isBlank() || location.startsWith("classpath:")) {
            return null;
        }
        try {
            byte[] content;
            if (location.startsWith("https://") || location.startsWith("http://")) {
                try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                    HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create(location))
                            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                    if (response.statusCode() != 200) {
                        LOG.warnf("cannot check the verification keys at %s: HTTP %d", location, response.statusCode());
                        return null;
                    }
                    content = response.body();
                }
            } else {
                Path path = Path.of(location.startsWith("file:") ? URI.create(location).getPath() : location);
                if (!Files.isRegularFile(path)) {
                    return null; // a classpath resource: part of the build, it cannot change
                }
                content = Files.readAllBytes(path);
            }
            return new Keys(content, MessageDigest.getInstance("SHA-256").digest(content));
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            LOG.warnf("cannot check the verification keys at %s: %s", location, e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
