package dev.herald.dev;

import dev.herald.config.HeraldConfig;
import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.runtime.StartupEvent;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * {@code GET /dev/token?sub=alice&subscribe=room:*&publish=room:*&enqueue=…&work=…&admin=…}: mints an RS256
 * token (every right not named: {@code *}) with the
 * committed <b>development</b> key ({@code config/dev/}), valid for a day.
 *
 * <p>Exists only in the dev build profile ({@code ./mvnw quarkus:dev}): the bean is removed from test
 * and prod builds, so nothing that mints tokens is reachable there (tested by {@code ProdProfileIT}).
 */
@ApplicationScoped
@IfBuildProfile("dev")
public class DevTokens {

    private static final Logger LOG = Logger.getLogger(DevTokens.class);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    @Inject
    HeraldConfig config;

    @ConfigProperty(name = "mp.jwt.verify.issuer", defaultValue = "herald-dev")
    String issuer;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
    int port;

    void announce(@Observes StartupEvent event) {
        LOG.infof("%n  Herald dev mode: in-memory broker, DEVELOPMENT signing key (never use it in production)."
                + "%n  Get a token:   TOKEN=$(curl -s 'http://localhost:%1$d/dev/token?sub=alice')"
                + "%n  Publish:       curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
                + "-d '{\"type\":\"msg\",\"data\":{\"text\":\"hi\"}}' http://localhost:%1$d/v1/topics/room:general/events"
                + "%n  Subscribe:     curl -N -H \"Authorization: Bearer $TOKEN\" "
                + "'http://localhost:%1$d/v1/stream?topic=room:general'%n", port);
    }

    void install(@Observes Router router) {
        router.get("/dev/token").blockingHandler(this::mint);
    }

    /** A job-queue claim ({@code enqueue}, {@code work}, {@code admin}): the patterns asked for, else every queue. */
    private static String queueClaim(RoutingContext ctx, String name) {
        List<String> patterns = ctx.queryParam(name);
        return ",\"" + name + "\":" + jsonArray(patterns.isEmpty() ? List.of("*") : patterns);
    }

    private void mint(RoutingContext ctx) {
        String sub = ctx.request().getParam("sub", "dev");
        List<String> subscribe = ctx.queryParam("subscribe");
        List<String> publish = ctx.queryParam("publish");
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
        String claims = "{\"iss\":" + json(issuer) + ",\"sub\":" + json(sub) + ",\"iat\":" + now
                + ",\"exp\":" + (now + 86_400)
                + ",\"subscribe\":" + jsonArray(subscribe.isEmpty() ? List.of("*") : subscribe)
                + ",\"publish\":" + jsonArray(publish.isEmpty() ? List.of("*") : publish)
                + queueClaim(ctx, "enqueue") + queueClaim(ctx, "work")
                // Every dev token may open the admin page (/admin) and administer every queue; ?admin=false
                // mints one that may not, ?admin=<queue pattern> one that administers those queues only.
                + ("false".equals(ctx.request().getParam("admin")) ? "" : queueClaim(ctx, "admin")) + "}";
        try {
            String signingInput = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(privateKey());
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            ctx.response().putHeader("Content-Type", "text/plain")
                    .end(signingInput + "." + B64.encodeToString(rsa.sign()) + "\n");
        } catch (Exception e) {
            LOG.error("cannot mint a dev token", e);
            ctx.response().setStatusCode(500).end("cannot mint a dev token: " + e.getMessage() + "\n");
        }
    }

    private PrivateKey privateKey() throws Exception {
        String pem = Files.readString(Path.of(config.dev().privateKey()));
        String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("\\p{Cntrl}", "") + "\"";
    }

    private static String jsonArray(List<String> values) {
        return values.stream().map(DevTokens::json).collect(Collectors.joining(",", "[", "]"));
    }
}
