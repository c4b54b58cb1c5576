package dev.herald.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * The run's tokens: RS256 JWTs minted here with a PKCS#8 private key ({@code --private-key}, the dev
 * key pair in {@code config/dev} by default in bench/run) and {@code --issuer}, so that the server
 * verifies them as in production. Without {@code --private-key} the run is unauthenticated
 * ({@code BENCH_AUTH=off}: the server runs with {@code herald.auth.enabled=false}) and every token
 * here is null.
 *
 * <p>The publisher token ({@code publish ["*"]}) is shared by every publish, as a sidecar publisher
 * reuses one token; the subscriber token ({@code subscribe ["*"]}) by every SSE stream. WebSocket
 * clients each get their own subject ({@link #webSocket}): the server allows only a few WebSockets
 * per user ({@code herald.ws.max-connections-per-user}).
 */
final class Tokens {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    /** Long enough for any run (W2 with many steps), short enough not to matter if one leaks. */
    private static final long TTL_SECONDS = 4 * 3600;

    private final PrivateKey key;
    private final String issuer;
    /** Null when auth is off. */
    final String publisher;
    final String subscriber;

    Tokens(Options opt) {
        String keyFile = opt.str("private-key", "");
        this.issuer = opt.str("issuer", "herald");
        this.key = keyFile.isEmpty() ? null : readKey(Path.of(keyFile));
        this.publisher = key == null ? null : mint("bench-publisher", "[]", "[\"*\"]");
        this.subscriber = key == null ? null : mint("bench-subscriber", "[\"*\"]", "[]");
    }

    boolean enabled() {
        return key != null;
    }

    /** A token of its own for WebSocket client {@code index} (subscribe and publish everything), or null. */
    String webSocket(int index) {
        return key == null ? null : mint("bench-ws-" + index, "[\"*\"]", "[\"*\"]");
    }

    /** {@code subscribe} and {@code publish} are JSON arrays. */
    private String mint(String subject, String subscribe, String publish) {
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
        String claims = "{\"iss\":\"" + issuer + "\",\"sub\":\"" + subject + "\",\"iat\":" + now
                + ",\"exp\":" + (now + TTL_SECONDS) + ",\"subscribe\":" + subscribe + ",\"publish\":" + publish + "}";
        String signingInput = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(key);
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64.encodeToString(rsa.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    private static PrivateKey readKey(Path file) {
        try {
            String pem = Files.readString(file);
            if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
                throw new IllegalArgumentException(file + " is not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
            }
            String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the RSA private key " + file, e);
        }
    }
}
