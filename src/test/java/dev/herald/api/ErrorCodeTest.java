package dev.herald.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonParseException;
import dev.herald.auth.AuthenticationException;
import dev.herald.auth.AuthorizationException;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.PublishOutcomeUnknownException;
import dev.herald.event.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The error vocabulary: one row per failure, each told to clients the same way on every path. */
class ErrorCodeTest {

    @Test
    void noTwoFailuresShareAProblemType() {
        Set<String> seen = new HashSet<>();
        List<String> shared = new ArrayList<>();
        for (ErrorCode code : ErrorCode.values()) {
            if (code.slug() != null && !seen.add(code.slug())) {
                shared.add(code + " " + code.slug());
            }
        }
        assertEquals(List.of(), shared);
    }

    @Test
    void heraldsExceptionsMapToTheirRowsAlsoWhenWrapped() {
        assertEquals(ErrorCode.INVALID_INPUT, ErrorCode.of(new InvalidInputException("x")));
        assertEquals(ErrorCode.MALFORMED_JSON, ErrorCode.of(new JsonParseException(null, "x")));
        assertEquals(ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.of(new PayloadTooLargeException("x")));
        assertEquals(ErrorCode.REQUEST_TIMEOUT, ErrorCode.of(new RequestTimeoutException("x")));
        assertEquals(ErrorCode.UNAUTHORIZED, ErrorCode.of(new AuthenticationException("missing", "x", null)));
        assertEquals(ErrorCode.FORBIDDEN, ErrorCode.of(new AuthorizationException("x")));
        assertEquals(ErrorCode.BROKER_UNAVAILABLE, ErrorCode.of(new BrokerUnavailableException("x")));
        assertEquals(ErrorCode.PUBLISH_OUTCOME_UNKNOWN, ErrorCode.of(new PublishOutcomeUnknownException("x", null)));
        assertEquals(ErrorCode.TOO_MANY_POLLS, ErrorCode.of(new RetryLaterException(ErrorCode.TOO_MANY_POLLS, "x", 1)));
        assertEquals(ErrorCode.FORBIDDEN, ErrorCode.of(new CompletionException(new AuthorizationException("x"))));
        assertEquals(ErrorCode.INTERNAL, ErrorCode.of(new IllegalStateException("x")));
    }

    @Test
    void theReadmeNamesEveryProblemTypeErrorCodeAndCloseCode() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<String> missing = new ArrayList<>();
        for (ErrorCode code : ErrorCode.values()) {
            if (code.slug() != null && !readme.contains("`" + code.slug() + "`")) {
                missing.add(code + ": problem `" + code.slug() + "`");
            }
            if (code.wsCode() != null && !readme.contains("`" + code.wsCode() + "`")) {
                missing.add(code + ": error code `" + code.wsCode() + "`");
            }
            if (code.closeCode() != 0 && !readme.contains(String.valueOf(code.closeCode()))) {
                missing.add(code + ": close code " + code.closeCode());
            }
        }
        assertEquals(List.of(), missing);
    }
}
