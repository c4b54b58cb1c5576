package dev.herald.api;

import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The one place where exceptions become HTTP problems, for JAX-RS resources ({@link ProblemMappers})
 * and for the raw Vert.x routes (publish, SSE, long polling) alike: the failure's {@link ErrorCode}
 * gives the type, title, status and {@code Retry-After}; this class adds the detail.
 */
public final class ProblemMapping {

    private static final Logger LOG = Logger.getLogger(ProblemMapping.class);

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

    public static Mapped map(Throwable thrown) {
        Throwable failure = unwrap(thrown);
        // JAX-RS's own refusals (routing, content negotiation) are not Herald's failures.
        if (failure instanceof NotSupportedException) {
            return mapped(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
        }
        if (failure instanceof NotAllowedException) {
            return mapped(ErrorCode.METHOD_NOT_ALLOWED, "this method is not allowed on this resource");
        }
        if (failure instanceof NotFoundException) {
            return mapped(ErrorCode.NOT_FOUND, "no such resource");
        }
        if (failure instanceof WebApplicationException e && e.getResponse().getStatus() < 500) {
            ErrorCode code = ErrorCode.BAD_REQUEST;
            return new Mapped(Problem.of(e.getResponse().getStatus(), code.slug(), code.title(),
                    "the request was refused"), Map.of());
        }
        ErrorCode code = ErrorCode.of(failure);
        return switch (code) {
            // Jackson's message quotes the input; keep the detail generic.
            case MALFORMED_JSON -> mapped(code, "the request body is not valid JSON");
            case UNAUTHORIZED -> new Mapped(code.problem(failure.getMessage()), Map.of("WWW-Authenticate", "Bearer"));
            case PUBLISH_OUTCOME_UNKNOWN -> mapped(code, "the broker did not answer in time and the event may or may "
                    + "not be stored; retry with the same Idempotency-Key (it is stored once; a publish without a key "
                    + "may be stored twice)");
            case INTERNAL -> {
                LOG.error("unexpected failure", failure);
                yield mapped(code, "an unexpected error occurred");
            }
            default -> {
                long retryAfter = failure instanceof RetryLaterException e ? e.retryAfterSeconds() : code.retryAfterSeconds();
                yield new Mapped(code.problem(failure.getMessage()),
                        retryAfter > 0 ? Map.of("Retry-After", String.valueOf(retryAfter)) : Map.of());
            }
        };
    }

    private static Mapped mapped(ErrorCode code, String detail) {
        return new Mapped(code.problem(detail), code.retryAfterSeconds() > 0
                ? Map.of("Retry-After", String.valueOf(code.retryAfterSeconds())) : Map.of());
    }
}
