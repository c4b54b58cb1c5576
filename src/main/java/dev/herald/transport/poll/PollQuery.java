package dev.herald.transport.poll;

import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import io.vertx.core.MultiMap;
import java.util.List;

/**
 * The validated query of {@code GET /v1/poll?topic=a&topic=b&cursor=…&timeout=25}.
 *
 * @param topics         1 to {@code herald.subscription.max-topics} distinct topics, in the order given
 * @param cursor         the client's cursor as sent, or null to start from now; it is not checked here:
 *                       one that cannot be read gets a {@code herald.reset} (README, "SSE details"), like on SSE
 * @param timeoutSeconds how long to hold the request when nothing is there, 0 to {@value #MAX_TIMEOUT_SECONDS}
 */
record PollQuery(List<Topic> topics, String cursor, int timeoutSeconds) {

    /** The longest hold a client may ask for (README, "Long polling"). */
    static final int MAX_TIMEOUT_SECONDS = 60;

    /** Parses and validates the query; every refusal is an {@link InvalidInputException} (400). */
    static PollQuery parse(MultiMap params, int maxTopics, int defaultTimeoutSeconds) {
        return new PollQuery(Topic.listOf(params.getAll("topic"), maxTopics), cursor(params.getAll("cursor")),
                timeout(params.getAll("timeout"), defaultTimeoutSeconds));
    }

    private static String cursor(List<String> values) {
        if (values.size() > 1) {
            // Two positions for one subscription: which one the client means is a guess we refuse to make.
            throw new InvalidInputException("give at most one cursor");
        }
        return values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }

    private static int timeout(List<String> values, int defaultSeconds) {
        if (values.isEmpty()) {
            return defaultSeconds;
        }
        String text = values.size() == 1 ? values.get(0) : "";
        // Digits only (no sign, no fraction, no unit), at most two of them: no number parsing surprises.
        boolean digits = !text.isEmpty() && text.length() <= 2 && text.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digits || Integer.parseInt(text) > MAX_TIMEOUT_SECONDS) {
            throw new InvalidInputException("timeout must be given once, as whole seconds from 0 to "
                    + MAX_TIMEOUT_SECONDS);
        }
        return Integer.parseInt(text);
    }
}
