package dev.herald.support;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The messages a test's WebSocket client received, as JSON, in order; shared by the clients on
 * different stacks ({@link WsClient}, {@link JdkWsClient}).
 */
final class Inbox {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final LinkedBlockingDeque<JsonNode> messages = new LinkedBlockingDeque<>();
    /** Says how the connection ended, for failure messages; empty while it is open. */
    private final Supplier<String> closedInfo;

    Inbox(Supplier<String> closedInfo) {
        this.closedInfo = closedInfo;
    }

    void add(String text) {
        try {
            messages.add(MAPPER.readTree(text));
        } catch (Exception e) {
            messages.add(MAPPER.createObjectNode().put("type", "unparseable").put("text", text));
        }
    }

    /** The next message; fails after {@code wait}. */
    JsonNode next(Duration wait) {
        JsonNode m = poll(wait);
        if (m == null) {
            fail("no WebSocket message within " + wait + closedInfo.get());
        }
        return m;
    }

    /** The next message, which must have {@code "type": type}. */
    JsonNode expect(String type, Duration wait) {
        JsonNode m = next(wait);
        if (!type.equals(m.path("type").asText())) {
            fail("expected a '" + type + "' message, got " + m);
        }
        return m;
    }

    /**
     * The first message that matches, waiting for it; the messages before it stay queued, in order
     * (an ack and an event may arrive either way round).
     */
    JsonNode awaitMessage(Predicate<JsonNode> match, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        List<JsonNode> skipped = new ArrayList<>();
        try {
            while (System.nanoTime() < deadline) {
                JsonNode m = messages.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (m != null && match.test(m)) {
                    return m;
                }
                if (m != null) {
                    skipped.add(m);
                }
            }
            throw new AssertionError("no matching message; got " + skipped + closedInfo.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            for (int i = skipped.size() - 1; i >= 0; i--) {
                messages.addFirst(skipped.get(i));
            }
        }
    }

    /** The next message within {@code quiet}, or null (for "and nothing else" checks). */
    JsonNode poll(Duration quiet) {
        try {
            return messages.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
