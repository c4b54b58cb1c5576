package dev.herald.auth;

import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.event.TopicPattern;
import dev.herald.ops.HeraldMetrics;
import io.quarkus.runtime.Startup;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonArray;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.Logger;
import org.jose4j.jwt.consumer.InvalidJwtException;

/**
 * Verifies tokens (smallrye-jwt: signature, expiry, issuer and audience as configured under
 * {@code mp.jwt.verify.*}) and applies the topic rules of DESIGN.md section 3.
 *
 * <p>Token verification may read a key file or fetch a JWKS: call {@link #authenticate} off the
 * event loop.
 */
@ApplicationScoped
@Startup
public class TopicAuthorizer {

    private static final Logger LOG = Logger.getLogger(TopicAuthorizer.class);

    private final JWTParser parser;
    private final HeraldMetrics metrics;
    private final boolean enabled;
    private final Principal anonymous;

    public TopicAuthorizer(JWTParser parser, HeraldMetrics metrics, HeraldConfig config) {
        this.parser = parser;
        this.metrics = metrics;
        this.enabled = config.auth().enabled();
        this.anonymous = new Principal(false, null,
                config.auth().anonymousSubscribe().orElse(List.of()).stream().map(TopicPattern::of).toList(),
                List.of(), 0);
        if (enabled && !keyConfigured()) {
            // Fail at startup rather than answer every request with 401.
            throw new IllegalStateException("herald.auth.enabled=true but no token verification key is configured: set "
                    + "mp.jwt.verify.publickey.location (PEM or JWKS file/URL), mp.jwt.verify.publickey, or "
                    + "smallrye.jwt.verify.key.location (see README, 'Topics, auth')");
        }
        if (!enabled) {
            LOG.warn("\n**********************************************************************\n"
                    + "*  AUTHENTICATION IS OFF (herald.auth.enabled=false): anyone can     *\n"
                    + "*  publish to and subscribe to every topic. Never run this in prod.  *\n"
                    + "**********************************************************************");
        }
    }

    private static boolean keyConfigured() {
        Config config = ConfigProvider.getConfig();
        for (String name : new String[] {"mp.jwt.verify.publickey.location", "mp.jwt.verify.publickey",
                "smallrye.jwt.verify.key.location", "smallrye.jwt.verify.key"}) {
            if (config.getOptionalValue(name, String.class).filter(v -> !v.isBlank()).isPresent()) {
                return true;
            }
        }
        return false;
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * The principal of a request's token, or the anonymous principal when there is no token.
     *
     * @throws AuthenticationException when a token is present but not valid
     */
    public Principal authenticate(String token) {
        if (!enabled) {
            return Principal.UNRESTRICTED;
        }
        if (token == null) {
            return anonymous;
        }
        JsonWebToken jwt;
        try {
            jwt = parser.parse(token);
        } catch (ParseException e) {
            String reason = isExpired(e) ? "expired" : "invalid";
            metrics.authFailed(reason);
            // Never include the token, nor the parser's message (it can quote claims), in the answer.
            throw new AuthenticationException(reason,
                    reason.equals("expired") ? "the token has expired" : "the token is not valid", null);
        }
        return new Principal(true, jwt.getSubject(), patterns(jwt.getClaim("subscribe")),
                patterns(jwt.getClaim("publish")), jwt.getExpirationTime());
    }

    /** Checks that {@code principal} may subscribe to every topic; 401 for anonymous, else 403. */
    public void requireSubscribe(Principal principal, Collection<Topic> topics) {
        for (Topic topic : topics) {
            if (!principal.maySubscribe(topic)) {
                throw refuse(principal, "not allowed to subscribe to topic '" + topic + "'");
            }
        }
    }

    public void requirePublish(Principal principal, Topic topic) {
        if (!principal.mayPublish(topic)) {
            throw refuse(principal, "not allowed to publish to topic '" + topic + "'");
        }
    }

    private RuntimeException refuse(Principal principal, String message) {
        if (principal.isAnonymous()) {
            metrics.authFailed("missing");
            return new AuthenticationException("missing", "a token is required: " + message, null);
        }
        metrics.authFailed("forbidden");
        return new AuthorizationException(message);
    }

    private static boolean isExpired(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidJwtException invalid && invalid.hasExpired()) {
                return true;
            }
        }
        return false;
    }

    /** Reads a claim that is an array of topic patterns (or one pattern); skips invalid entries. */
    static List<TopicPattern> patterns(Object claim) {
        List<String> raw = new ArrayList<>();
        if (claim instanceof JsonArray array) {
            for (JsonValue v : array) {
                if (v instanceof JsonString s) {
                    raw.add(s.getString());
                }
            }
        } else if (claim instanceof JsonString s) {
            raw.add(s.getString());
        } else if (claim instanceof String s) {
            raw.add(s);
        } else if (claim instanceof Collection<?> c) {
            c.forEach(o -> raw.add(String.valueOf(o)));
        }
        List<TopicPattern> result = new ArrayList<>(raw.size());
        for (String p : raw) {
            try {
                result.add(TopicPattern.of(p));
            } catch (InvalidInputException e) {
                LOG.debugf("ignoring invalid topic pattern in a token claim");
            }
        }
        return result;
    }
}
