package dev.herald.auth;

import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import dev.herald.event.TopicPattern;
import dev.herald.metrics.HeraldMetrics;
import io.quarkus.runtime.Startup;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.json.JsonArray;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;

/**
 * Verifies tokens (smallrye-jwt: signature, expiry, issuer and audience as configured under
 * {@code mp.jwt.verify.*}) and applies the topic rules of the README, "Topics, auth".
 *
 * <p>Verified tokens are cached ({@code herald.auth.token-cache-size}) until they expire or the keys
 * change: {@link #cached} answers a known token on the event loop; {@link #authenticate} verifies one
 * and may read a key file or fetch a JWKS, so call it off the event loop.
 */
@ApplicationScoped
@Startup
public class TopicAuthorizer {

    private static final Logger LOG = Logger.getLogger(TopicAuthorizer.class);

    private final HeraldMetrics metrics;
    private final boolean enabled;
    private final Principal anonymous;
    private final TokenCache cache;
    private final TokenVerifier verifier;

    public TopicAuthorizer(Instance<JWTAuthContextInfo> jwtContext, HeraldMetrics metrics, HeraldConfig config,
                           Vertx vertx) {
        this.metrics = metrics;
        this.enabled = config.auth().enabled();
        this.anonymous = new Principal(false, null,
                config.auth().anonymousSubscribe().orElse(List.of()).stream().map(TopicPattern::of).toList(),
                List.of(), 0);
        this.cache = new TokenCache(config.auth().tokenCacheSize());
        if (enabled && !keyConfigured()) {
            // Fail at startup rather than answer every request with 401.
            throw new IllegalStateException("herald.auth.enabled=true but no token verification key is configured: set "
                    + "mp.jwt.verify.publickey.location (PEM or JWKS file/URL), mp.jwt.verify.publickey, or "
                    + "smallrye.jwt.verify.key.location (see README, 'Topics, auth')");
        }
        if (!enabled) {
            this.verifier = null;
            LOG.warn("\n**********************************************************************\n"
                    + "*  AUTHENTICATION IS OFF (herald.auth.enabled=false): anyone can     *\n"
                    + "*  publish to and subscribe to every topic. Never run this in prod.  *\n"
                    + "**********************************************************************");
            return;
        }
        this.verifier = new TokenVerifier(jwtContext.get(), keyLocation(), cache::clear);
        if (verifier.keysCanChange()) {
            long every = Math.max(1000, config.auth().keyCheckInterval().toMillis());
            vertx.setPeriodic(every, every, id -> vertx.executeBlocking(() -> {
                verifier.checkKeys();
                return null;
            }, false));
        }
    }

    /** Where the verification keys are read from, as configured (Quarkus hands smallrye-jwt their content). */
    private static String keyLocation() {
        Config config = ConfigProvider.getConfig();
        return config.getOptionalValue("mp.jwt.verify.publickey.location", String.class)
                .or(() -> config.getOptionalValue("smallrye.jwt.verify.key.location", String.class))
                .filter(v -> !v.isBlank()).orElse(null);
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
     * The principal of a token verified before and still valid, of a request without a token, or of
     * every request when authentication is off; null when the token must be verified with
     * {@link #authenticate}. Non-blocking: for the event loop.
     */
    public Principal cached(String token) {
        if (!enabled) {
            return Principal.UNRESTRICTED;
        }
        if (token == null) {
            return anonymous;
        }
        return cache.get(token, System.currentTimeMillis());
    }

    /**
     * The principal of a request's token, or the anonymous principal when there is no token. May block
     * (key file, JWKS): call it off the event loop.
     *
     * @throws AuthenticationException when a token is present but not valid
     */
    public Principal authenticate(String token) {
        Principal known = cached(token);
        if (known != null) {
            return known;
        }
        long now = System.currentTimeMillis();
        long generation = cache.generation();
        TokenVerifier.Verified verified;
        try {
            verified = verifier.verify(token);
        } catch (AuthenticationException e) {
            metrics.authFailed(e.reason());
            throw e;
        }
        JwtClaims claims = verified.claims();
        String subject;
        try {
            subject = claims.getSubject();
        } catch (MalformedClaimException e) {
            metrics.authFailed("invalid");
            throw new AuthenticationException("invalid", "the token is not valid", null);
        }
        // "admin": true is every admin right (the admin page and every queue); an array of queue
        // patterns administers those queues, and ["*"] is the same as true.
        Object adminClaim = claims.getClaimValue("admin");
        List<TopicPattern> adminQueues = isTrue(adminClaim) ? List.of(TopicPattern.of("*")) : patterns(adminClaim);
        Principal principal = new Principal(true, subject, patterns(claims.getClaimValue("subscribe")),
                patterns(claims.getClaimValue("publish")), verified.expiresAtSeconds(),
                new QueueRights(patterns(claims.getClaimValue("enqueue")), patterns(claims.getClaimValue("work")),
                        adminQueues), adminQueues.stream().anyMatch(p -> p.pattern().equals("*")));
        cache.put(token, principal, verified.validUntilMillis(), generation, now);
        return principal;
    }

    /**
     * For streams (SSE, long polls, WebSockets): {@link #authenticate}, and a token that has already
     * expired is refused even inside the clock-skew allowance, which short requests get. A stream opened
     * with such a token would be ended as expired at once, and its client would reconnect in a loop.
     */
    public Principal authenticateForStream(String token) {
        Principal principal = authenticate(token);
        if (principal.expiresAt() > 0 && principal.expiresAt() * 1000 <= System.currentTimeMillis()) {
            metrics.authFailed("expired");
            throw new AuthenticationException("expired", "the token has expired", null);
        }
        return principal;
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
        // A job's topic carries the server's lifecycle events, which followers trust as the job's status: a
        // client that could publish there could fake a job's success (even with publish rights on "*").
        if (topic.name().startsWith("job:")) {
            throw refuse(principal, "topic '" + topic + "' carries a job's lifecycle; only the server publishes there");
        }
        if (!principal.mayPublish(topic)) {
            throw refuse(principal, "not allowed to publish to topic '" + topic + "'");
        }
    }

    /** Checks that {@code principal} holds the {@code admin} claim (the admin page); 401 for anonymous, else 403. */
    public void requireAdmin(Principal principal) {
        if (!principal.admin()) {
            throw refuse(principal, "the admin page needs a token with the claim \"admin\": true (or [\"*\"])");
        }
    }

    /** Only the JSON value {@code true} grants: a string "true" or a 1 is a mistake, not a right. */
    private static boolean isTrue(Object claim) {
        return Boolean.TRUE.equals(claim) || claim == JsonValue.TRUE;
    }

    /** Checks a job-queue right ({@link QueueRights}); 401 for anonymous, else 403. */
    public void requireQueue(Principal principal, boolean allowed, String message) {
        if (!allowed) {
            throw refuse(principal, message);
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
