package dev.herald.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TraceParentTest {

    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final Topic TOPIC = Topic.of("orders");

    @Test
    void aVersionZeroTraceparentIsValidAndSplitsIntoTraceAndSpanId() {
        assertTrue(TraceParent.isValid(VALID));
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", TraceParent.traceId(VALID));
        assertEquals("00f067aa0ba902b7", TraceParent.spanId(VALID));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\"",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b\n-01"})
    void anythingElseIsInvalid(String value) {
        assertFalse(TraceParent.isValid(value));
        assertNull(TraceParent.orNull(value));
    }

    @Test
    void aTracedEventShowsItsTraceparentInTheEnvelopeAndAnUntracedOneDoesNot() throws Exception {
        Event traced = new Event(new EventId(5, 0), TOPIC, "message", "{\"a\":1}", 5, VALID);
        Event untraced = new Event(new EventId(6, 0), TOPIC, "message", "{\"a\":1}", 6);

        assertEquals(VALID, new ObjectMapper().readTree(traced.envelope()).get("traceparent").asText());
        assertFalse(new ObjectMapper().readTree(untraced.envelope()).has("traceparent"));
        assertNull(untraced.trace());
    }

    @Test
    void anInvalidStoredTraceIsDroppedNeverCopiedIntoTheEnvelope() throws Exception {
        Event event = new Event(new EventId(5, 0), TOPIC, "message", "1", 5, "\",\"admin\":true,\"x\":\"");

        assertNull(event.trace());
        assertFalse(new ObjectMapper().readTree(event.envelope()).has("admin"));
    }
}
