package dev.herald.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.herald.auth.AuthenticationException;
import dev.herald.auth.AuthorizationException;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.PublishOutcomeUnknownException;
import dev.herald.event.InvalidInputException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The one place where exceptions become HTTP problems, for JAX-RS resources ({@link ProblemMappers})
 * and for the raw Vert.x routes (SSE, long polling) alike.
 */
public final class ProblemMapping {

    private static final Logger LOG = Logger.getLogger(ProblemMapping.class);
    /** Seconds a client should wait before retrying a publish the broker could not take. */
    public static final String RETRY_AFTER_SECONDS = "2";
    /** Problem type slug of a publish that may or may not be stored. */
    public static final String PUBLISH_OUTCOME_UNKNOWN = "publish-outcome-unknown";

    /** A problem and the extra headers to send with it. */
    public record Mapped(Problem problem, Map<String, String> headers) {
    }

    private ProblemMapping() {
    }

    /** The failure itself, or what a {@code CompletionException} (from an async step) wraps. */
    public static Throwable unwrap(Throwable failure) {
        return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
    }

    public static Mapped map(Throwable failure) {
        if (failure instanceof InvalidInputException e) {
            return new Mapped(Problem.of(400, "invalid-input", "Invalid input", e.getMessage()), Map.of());
        }
        if (failure instanceof JsonProcessingException) {
            // Jackson's message quotes the input; keep the detail generic.
            return new Mapped(Problem.of(400, "malformed-json", "Malformed JSON",
                    "the request body is not valid JSON"), Map.of());
        }
        if (failure instanceof PayloadTooLargeException e) {
            return new Mapped(Problem.of(413, "payload-too-large", "Payload too large", e.getMessage()), Map.of());
        }
        if (failure instanceof RequestTimeoutException e) {
            return new Mapped(Problem.of(408, "request-timeout", "Request timeout", e.getMessage()), Map.of());
        }
        if (failure instanceof AuthenticationException e) {
            return new Mapped(Problem.of(401, "unauthorized", "Unauthorized", e.getMessage()),
                    Map.of("WWW-Authenticate", "Bearer"));
        }
        if (failure instanceof AuthorizationException e) {
            return new Mapped(Problem.of(403, "forbidden", "Forbidden", e.getMessage()), Map.of());
        }
        if (failure instanceof BrokerUnavailableException e) {
            return new Mapped(Problem.of(503, "broker-unavailable", "Service unavailable", e.getMessage()),
                    Map.of("Retry-After", RETRY_AFTER_SECONDS));
        }
        if (failure instanceof PublishOutcomeUnknownException) {
            // Not a 503: a 503 means "not stored", and this event may be. The same key stores it once.
            return new Mapped(Problem.of(504, PUBLISH_OUTCOME_UNKNOWN, "Publish outcome unknown",
                    "the broker did not answer in time and the event may or may not be stored; retry with the same "
                            + "Idempotency-Key (it is stored once; a publish without a key may be stored twice)"),
                    Map.of("Retry-After", RETRY_AFTER_SECONDS));
        }
        if (failure instanceof RetryLaterException e) {
            return new Mapped(Problem.of(503, e.slug(), "Service unavailable", e.getMessage()),
                    Map.of("Retry-After", String.valueOf(e.retryAfterSeconds())));
        }
        if (failure instanceof ConflictException e) {
            return new Mapped(Problem.of(409, "conflict", "Conflict", e.getMessage()), Map.of());
        }
        if (failure instanceof NotSupportedException) {
            return new Mapped(Problem.of(415, "unsupported-media-type", "Unsupported media type",
                    "send the body as application/json"), Map.of());
        }
        if (failure instanceof NotAllowedException) {
            return new Mapped(Problem.of(405, "method-not-allowed", "Method not allowed",
                    "this method is not allowed on this resource"), Map.of());
        }
        if (failure instanceof NotFoundException) {
            return new Mapped(Problem.of(404, "not-found", "Not found", "no such resource"), Map.of());
        }
        if (failure instanceof WebApplicationException e && e.getResponse().getStatus() < 500) {
            int status = e.getResponse().getStatus();
            return new Mapped(Problem.of(status, "bad-request", "Bad request", "the request was refused"), Map.of());
        }
        LOG.error("unexpected failure", failure);
        return new Mapped(Problem.of(500, "internal-error", "Internal error", "an unexpected error occurred"),
                Map.of());
    }
}
