package dev.herald.event;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EventId ID = new EventId(1732345678901L, 3);
    private static final Topic TOPIC = Topic.of("prices:BTC");

    private static Event event(String type, String data) {
        return new Event(ID, TOPIC, type, data, 1732345678901L);
    }

    @Test
    void envelopeIsExactlyIdTopicTypeDataTs() throws Exception {
        Event e = event("price", "{\"bid\":1.5,\"tags\":[\"a\",\"b\"]}");
        JsonNode node = JSON.readTree(e.envelope());
        List<String> fields = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            fields.add(it.next());
        }
        assertEquals(List.of("id", "topic", "type", "data", "ts"), fields);
        assertEquals("1732345678901-3", node.get("id").asText());
        assertTrue(node.get("id").isTextual());
        assertEquals("prices:BTC", node.get("topic").asText());
        assertEquals("price", node.get("type").asText());
        assertEquals(JSON.readTree("{\"bid\":1.5,\"tags\":[\"a\",\"b\"]}"), node.get("data"));
        assertTrue(node.get("ts").isIntegralNumber());
        assertEquals(1732345678901L, node.get("ts").asLong());
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "true", "42", "-1.5e3", "\"text\"", "[]", "[1,{\"a\":null}]", "{}",
            "\"caf\\u00e9 \\n escaped\""})
    void envelopeEmbedsAnyJsonValueAsData(String data) throws Exception {
        JsonNode node = JSON.readTree(event("message", data).envelope());
        assertEquals(JSON.readTree(data), node.get("data"));
    }

    @Test
    void envelopeIsOneLine() {
        String envelope = event("message", "{\"text\":\"a\\nb\"}").envelope();
        assertTrue(envelope.indexOf('\n') < 0 && envelope.indexOf('\r') < 0);
        assertEquals(envelope, event("message", "{\"text\":\"a\\nb\"}").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":\n1}", "{\"a\":1}\n", "\n", "\r", "{\"a\":\r1}", "\r\n{}", ""})
    void rejectsDataWithRawLineBreaksOrEmptyData(String data) {
        assertThrows(InvalidInputException.class, () -> event("message", data));
    }

    @Test
    void rejectsMissingParts() {
        assertThrows(NullPointerException.class, () -> new Event(null, TOPIC, "m", "{}", 1));
        assertThrows(NullPointerException.class, () -> new Event(ID, null, "m", "{}", 1));
        assertThrows(NullPointerException.class, () -> new Event(ID, TOPIC, "m", null, 1));
        assertThrows(InvalidInputException.class, () -> new Event(ID, TOPIC, null, "{}", 1));
    }

    @Test
    void typeOfOneAndSixtyFourCharactersIsValid() {
        assertEquals("a", Event.requireValidType("a"));
        assertEquals("t".repeat(64), Event.requireValidType("t".repeat(64)));
        assertDoesNotThrow(() -> event("t".repeat(64), "{}"));
    }

    @Test
    void typeOfZeroOrSixtyFiveCharactersIsRejected() {
        assertThrows(InvalidInputException.class, () -> Event.requireValidType(""));
        assertThrows(InvalidInputException.class, () -> Event.requireValidType("t".repeat(65)));
        assertThrows(InvalidInputException.class, () -> Event.requireValidType(null));
        assertThrows(InvalidInputException.class, () -> event("t".repeat(65), "{}"));
    }

    @Test
    void typeAcceptsEveryAllowedCharacterInEveryPosition() {
        String allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:";
        for (char c : allowed.toCharArray()) {
            assertDoesNotThrow(() -> Event.requireValidType(String.valueOf(c)), "type '" + c + "'");
            assertDoesNotThrow(() -> Event.requirePublishableType("x" + c), "type 'x" + c + "'");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", "/", "*", "\"", "\\", "\r", "\n", "\u0000", "é", "@", "|", "<", "{", "\t"})
    void typeRejectsOtherCharacters(String bad) {
        assertThrows(InvalidInputException.class, () -> Event.requireValidType("price" + bad));
        assertThrows(InvalidInputException.class, () -> Event.requirePublishableType(bad + "price"));
        assertThrows(InvalidInputException.class, () -> event("a" + bad + "b", "{}"));
    }

    @Test
    void reservedHeraldPrefixIsRefusedForPublishersButValidForTheServer() {
        assertThrows(InvalidInputException.class, () -> Event.requirePublishableType("herald.reset"));
        assertThrows(InvalidInputException.class, () -> Event.requirePublishableType("herald."));
        assertEquals("herald.reset", Event.requireValidType("herald.reset"));
        assertDoesNotThrow(() -> event("herald.reset", "{\"topics\":[],\"reason\":\"invalid-cursor\"}"));
    }

    @Test
    void similarButUnreservedTypesArePublishable() {
        for (String type : List.of("herald", "Herald.reset", "herald-reset", "heraldx.a", "my.herald.x",
                Event.DEFAULT_TYPE)) {
            assertEquals(type, Event.requirePublishableType(type));
        }
    }

    @Test
    void eventsAreEqualByTopicAndId() {
        Event a = new Event(ID, TOPIC, "a", "1", 1);
        Event b = new Event(ID, TOPIC, "b", "2", 2);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertTrue(!a.equals(new Event(ID.next(), TOPIC, "a", "1", 1)));
        assertTrue(!a.equals(new Event(ID, Topic.of("other"), "a", "1", 1)));
    }

    @Test
    void encodingIsComputedOnceAndSharedAcrossThreads() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Event.Encoding<String> encoding = Event.Encoding.allocate("test-shared", e -> {
            calls.incrementAndGet();
            return "encoded:" + e.id();
        });
        Event e = event("message", "{}");
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    String first = null;
                    for (int k = 0; k < 1000; k++) {
                        String s = e.encoded(encoding);
                        if (first == null) {
                            first = s;
                        }
                        assertSame(first, s);
                    }
                    return first;
                }));
            }
            start.countDown();
            Set<String> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (Future<String> f : results) {
                distinct.add(f.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, distinct.size(), "every thread sees the same cached instance");
            assertEquals("encoded:" + ID, e.encoded(encoding));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, calls.get(), "the encoder ran " + calls.get() + " times");
    }

    @Test
    void secondCallerWaitsForTheEncodingInProgressInsteadOfEncodingAgain() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Event.Encoding<String> encoding = Event.Encoding.allocate("test-slow", ev -> {
            if (calls.incrementAndGet() == 1) {
                firstInside.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return "slow";
        });
        Event e = event("message", "{}");
        Thread first = new Thread(() -> e.encoded(encoding));
        first.start();
        assertTrue(firstInside.await(5, TimeUnit.SECONDS));
        Thread second = new Thread(() -> e.encoded(encoding));
        second.start();
        // The second caller either blocks behind the first (computed once) or runs the encoder itself.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                calls.get() > 1 || second.getState() == Thread.State.BLOCKED
                        || second.getState() == Thread.State.WAITING || !second.isAlive());
        release.countDown();
        first.join(5000);
        second.join(5000);
        assertEquals(1, calls.get(), "the encoder ran " + calls.get() + " times");
        assertEquals("slow", e.encoded(encoding));
    }

    @Test
    void encodingsInDifferentSlotsAreIndependent() {
        Event e = event("message", "{}");
        Event.Encoding<String> a = Event.Encoding.allocate("test-a", ev -> "a");
        Event.Encoding<Integer> b = Event.Encoding.allocate("test-b", ev -> 2);
        assertNotEquals(a.slot(), b.slot(), "two formats were given one slot");
        assertEquals("a", e.encoded(a));
        assertEquals(2, e.encoded(b));
    }
}
