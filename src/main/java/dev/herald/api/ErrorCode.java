package dev.herald.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.herald.auth.AuthenticationException;
import dev.herald.auth.AuthorizationException;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.PublishOutcomeUnknownException;
import dev.herald.event.InvalidInputException;

/**
 * Herald's one error vocabulary: every way a request or a connection can fail, with what each
 * transport says about it. HTTP answers {@link #status()} with the problem type
 * {@code urn:herald:problem:<slug>} (and {@code Retry-After} where the failure is temporary); a
 * WebSocket answers an {@code error} frame with {@link #wsCode()}, or closes with {@link #closeCode()}
 * when the failure ends the connection. {@link ProblemMapping} and the WebSocket session both read
 * this table; the README's status codes, error codes and close codes are this table in prose.
 *
 * <p>A column that does not apply is empty: {@code 0} for a status or close code, {@code null} for a
 * slug or WebSocket code.
 */
public enum ErrorCode {

    //                          problem slug               title                      status  ws error code      close  Retry-After
    INVALID_INPUT(              "invalid-input",           "Invalid input",           400,    "invalid",         0,     0),
    MALFORMED_JSON(             "malformed-json",          "Malformed JSON",          400,    "invalid",         0,     0),
    UNKNOWN_OP(                 null,                      null,                      0,      "unknown-op",      0,     0),
    PAYLOAD_TOO_LARGE(          "payload-too-large",       "Payload too large",       413,    "too-large",       1009,  0),
    REQUEST_TIMEOUT(            "request-timeout",         "Request timeout",         408,    null,              0,     0),
    UNAUTHORIZED(               "unauthorized",            "Unauthorized",            401,    "unauthorized",    4001,  0),
    FORBIDDEN(                  "forbidden",               "Forbidden",               403,    "forbidden",       4003,  0),
    BROKER_UNAVAILABLE(         "broker-unavailable",      "Service unavailable",     503,    "unavailable",     0,     2),
    /** Not a 503: a 503 means "not stored", and this event may be. The same idempotency key stores it once. */
    PUBLISH_OUTCOME_UNKNOWN(    "publish-outcome-unknown", "Publish outcome unknown", 504,    "outcome-unknown", 0,     2),
    /** Too many requests of one connection: an error frame, then (when it goes on) close 4029. */
    RATE_LIMITED(               null,                      null,                      0,      "rate-limited",    4029,  0),
    /** A node, user or anonymous cap reached: the client comes back later, maybe to another node. */
    TOO_MANY_CONNECTIONS(       null,                      null,                      0,      null,              4029,  0),
    TOO_MANY_POLLS(             "too-many-polls",          "Service unavailable",     503,    null,              0,     0),
    SERVER_BUSY(                "server-busy",             "Service unavailable",     503,    null,              0,     0),
    SHUTTING_DOWN(              "shutting-down",           "Service unavailable",     503,    null,              1001,  0),
    POLL_AGAIN(                 "poll-again",              "Service unavailable",     503,    null,              0,     1),
    /** The connection's queue overflowed, or its history was lost upstream: resume with the cursor. */
    SLOW_CONSUMER(              null,                      null,                      0,      null,              4008,  0),
    /** Herald's JSON protocol broken too often (or a flood of pings): close 4400. */
    PROTOCOL_ERROR(             null,                      null,                      0,      null,              4400,  0),
    IDLE(                       null,                      null,                      0,      null,              4408,  0),
    BINARY_FRAME(               null,                      null,                      0,      null,              1003,  0),
    /** WebSocket framing broken below Herald's protocol (RFC 6455: reserved bits, oversized control frames). */
    FRAME_PROTOCOL_VIOLATION(   null,                      null,                      0,      null,              1002,  0),
    INVALID_UTF8(               null,                      null,                      0,      null,              1007,  0),
    AMBIGUOUS_FRAMING(          "ambiguous-framing",       "Bad request",             400,    null,              0,     0),
    INVALID_PATH(               "invalid-path",            "Bad request",             400,    null,              0,     0),
    BAD_REQUEST(                "bad-request",             "Bad request",             400,    null,              0,     0),
    NOT_FOUND(                  "not-found",               "Not found",               404,    "not-found",       0,     0),
    /** A job's lease that is no longer its current one (expired and leased again, or settled); a retry of a job not dead. */
    CONFLICT(                   "conflict",                "Conflict",                409,    "conflict",        0,     0),
    TOO_MANY_WAITING_LEASES(    "too-many-waiting-leases", "Service unavailable",     503,    null,              0,     0),
    METHOD_NOT_ALLOWED(         "method-not-allowed",      "Method not allowed",      405,    null,              0,     0),
    UNSUPPORTED_MEDIA_TYPE(     "unsupported-media-type",  "Unsupported media type",  415,    null,              0,     0),
    INTERNAL(                   "internal-error",          "Internal error",          500,    "internal",        1011,  0);

    private final String slug;
    private final String title;
    private final int status;
    private final String wsCode;
    private final int closeCode;
    private final long retryAfterSeconds;

    ErrorCode(String slug, String title, int status, String wsCode, int closeCode, long retryAfterSeconds) {
        this.slug = slug;
        this.title = title;
        this.status = status;
        this.wsCode = wsCode;
        this.closeCode = closeCode;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * The code of a failure: Herald's own exceptions and Jackson's parse errors by their class (a
     * {@link RetryLaterException} carries its code), anything else {@link #INTERNAL}.
     */
    public static ErrorCode of(Throwable failure) {
        Throwable t = ProblemMapping.unwrap(failure);
        return switch (t) {
            case RetryLaterException e -> e.code();
            case InvalidInputException e -> INVALID_INPUT;
            case JsonProcessingException e -> MALFORMED_JSON;
            case PayloadTooLargeException e -> PAYLOAD_TOO_LARGE;
            case RequestTimeoutException e -> REQUEST_TIMEOUT;
            case AuthenticationException e -> UNAUTHORIZED;
            case AuthorizationException e -> FORBIDDEN;
            case BrokerUnavailableException e -> BROKER_UNAVAILABLE;
            case PublishOutcomeUnknownException e -> PUBLISH_OUTCOME_UNKNOWN;
            case ConflictException e -> CONFLICT;
            default -> INTERNAL;
        };
    }

    /** The problem type's last segment ({@code urn:herald:problem:<slug>}); null when never an HTTP answer. */
    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    /** The HTTP status; 0 when never an HTTP answer. */
    public int status() {
        return status;
    }

    /** The {@code code} of a WebSocket {@code error} frame; null when never sent as one. */
    public String wsCode() {
        return wsCode;
    }

    /** The WebSocket close code when this failure ends a connection; 0 when it never does. */
    public int closeCode() {
        return closeCode;
    }

    /** The {@code Retry-After} seconds of a temporary failure; 0 when none (or the exception carries it). */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** A problem with this code's type, title and status. */
    public Problem problem(String detail) {
        return Problem.of(status, slug, title, detail);
    }
}
