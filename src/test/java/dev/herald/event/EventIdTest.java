package dev.herald.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventIdTest {

    @Test
    void parsesAndPrintsMillisDashSeq() {
        EventId id = EventId.parse("1732345678901-7");
        assertEquals(1732345678901L, id.millis());
        assertEquals(7, id.seq());
        assertEquals("1732345678901-7", id.toString());
    }

    @Test
    void parseOfToStringRoundTrips() {
        Random random = new Random(42);
        for (int i = 0; i < 1000; i++) {
            EventId id = new EventId(random.nextLong() & Long.MAX_VALUE, random.nextLong() & Long.MAX_VALUE);
            assertEquals(id, EventId.parse(id.toString()));
        }
        for (EventId id : List.of(EventId.ZERO, new EventId(Long.MAX_VALUE, Long.MAX_VALUE), new EventId(0, 1))) {
            assertEquals(id, EventId.parse(id.toString()));
        }
    }

    @Test
    void zeroIsZeroDashZero() {
        assertEquals("0-0", EventId.ZERO.toString());
        assertEquals(EventId.ZERO, EventId.parse("0-0"));
    }

    @Test
    void ordersByMillisThenSeq() {
        List<EventId> sorted = List.of(EventId.ZERO, new EventId(0, 1), new EventId(1, 0), new EventId(1, 1),
                new EventId(1, 10), new EventId(2, 0), new EventId(10, 0));
        List<EventId> shuffled = new ArrayList<>(sorted);
        Collections.shuffle(shuffled, new Random(7));
        Collections.sort(shuffled);
        assertEquals(sorted, shuffled);
        assertTrue(new EventId(2, 0).isAfter(new EventId(1, 99)));
        assertTrue(new EventId(1, 99).isBefore(new EventId(2, 0)));
        assertFalse(new EventId(1, 1).isAfter(new EventId(1, 1)));
        assertFalse(new EventId(1, 1).isBefore(new EventId(1, 1)));
    }

    @Test
    void ordersNumericallyNotLexically() {
        assertTrue(EventId.parse("10-0").isAfter(EventId.parse("9-0")));
        assertTrue(EventId.parse("1-10").isAfter(EventId.parse("1-9")));
    }

    @Test
    void nextIsTheSmallestGreaterId() {
        assertEquals(new EventId(5, 1), new EventId(5, 0).next());
        assertTrue(new EventId(5, 0).next().isAfter(new EventId(5, 0)));
        assertEquals(new EventId(6, 0), new EventId(5, Long.MAX_VALUE).next());
    }

    @Test
    void acceptsLeadingZeros() {
        assertEquals(new EventId(1, 2), EventId.parse("001-002"));
    }

    @Test
    void acceptsTheLargestIds() {
        assertEquals(new EventId(Long.MAX_VALUE, Long.MAX_VALUE),
                EventId.parse(Long.MAX_VALUE + "-" + Long.MAX_VALUE));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "1-", "-1", "1-2-3", "a-b", "1-b", "a-1", "99999999999999999999-0",
            "0-99999999999999999999", "9223372036854775808-0", "-1-0", "1--1", "1", "12", " 1-2", "1-2 ",
            "1 -2", "+1-2", "1-+2", "1.0-2", "0x1-2", "１-2", "1-2\n", "\u0000"})
    void rejectsGarbage(String text) {
        assertThrows(InvalidInputException.class, () -> EventId.parse(text));
    }

    @Test
    void rejectsNull() {
        assertThrows(InvalidInputException.class, () -> EventId.parse(null));
    }

    @Test
    void rejectsTooLongText() {
        assertThrows(InvalidInputException.class, () -> EventId.parse("0".repeat(30) + "-" + "0".repeat(30)));
        assertThrows(InvalidInputException.class, () -> EventId.parse("1-" + "0".repeat(100)));
        assertThrows(InvalidInputException.class, () -> EventId.parse("1".repeat(10_000)));
    }

    @Test
    void rejectsNegativeParts() {
        assertThrows(InvalidInputException.class, () -> new EventId(-1, 0));
        assertThrows(InvalidInputException.class, () -> new EventId(0, -1));
    }
}
