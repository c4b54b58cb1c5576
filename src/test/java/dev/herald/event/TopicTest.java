package dev.herald.event;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicTest {

    @Test
    void acceptsNameOfOneCharacter() {
        assertEquals("a", Topic.of("a").name());
        assertEquals("7", Topic.of("7").name());
    }

    @Test
    void acceptsNameOfTwoHundredCharacters() {
        String name = "a".repeat(200);
        assertEquals(name, Topic.of(name).name());
    }

    @Test
    void rejectsEmptyName() {
        assertThrows(InvalidInputException.class, () -> Topic.of(""));
        assertFalse(Topic.isValid(""));
    }

    @Test
    void rejectsNullName() {
        assertThrows(InvalidInputException.class, () -> Topic.of(null));
    }

    @Test
    void rejectsNameOfTwoHundredAndOneCharacters() {
        assertThrows(InvalidInputException.class, () -> Topic.of("a".repeat(201)));
    }

    @Test
    void acceptsEveryAllowedCharacterAfterTheFirst() {
        String allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:@|";
        for (char c : allowed.toCharArray()) {
            String name = "a" + c;
            assertDoesNotThrow(() -> Topic.of(name), "topic '" + name + "'");
        }
        assertDoesNotThrow(() -> Topic.of("a" + allowed));
    }

    @Test
    void acceptsTypicalSegmentedNames() {
        assertDoesNotThrow(() -> Topic.of("prices:BTC-USD"));
        assertDoesNotThrow(() -> Topic.of("room:general"));
        assertDoesNotThrow(() -> Topic.of("user:alice@example.com|v1.2_x"));
    }

    @Test
    void acceptsEveryLetterAndDigitAsFirstCharacter() {
        for (char c : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray()) {
            assertTrue(Topic.isValid(c + "x"), "first char " + c);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"_a", "-a", ".a", ":a", "@a", "|a", "_", ":"})
    void rejectsNameThatDoesNotStartWithLetterOrDigit(String name) {
        assertThrows(InvalidInputException.class, () -> Topic.of(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", "/", "*", "\"", "\\", "\r", "\n", "\u0000", "é", "\t", "?", "#", "%", "+",
            "'", "<", ">", "{", "}", "\u007f", "\u2028", "\uD83D\uDE00"})
    void rejectsForbiddenCharacterAnywhereInTheName(String bad) {
        assertThrows(InvalidInputException.class, () -> Topic.of("room" + bad + "x"), "middle");
        assertThrows(InvalidInputException.class, () -> Topic.of("room" + bad), "end");
        assertThrows(InvalidInputException.class, () -> Topic.of(bad + "room"), "start");
    }

    @Test
    void errorMessageDoesNotEchoControlCharactersOrLongInput() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Topic.of("a\r\nInjected: yes" + "x".repeat(500)));
        assertFalse(e.getMessage().contains("\r"));
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e.getMessage().length() < 300, e.getMessage());
    }

    @Test
    void topicsWithTheSameNameAreEqualAndOrderedByName() {
        assertEquals(Topic.of("a:b"), Topic.of("a:b"));
        assertTrue(Topic.of("a").compareTo(Topic.of("b")) < 0);
        assertEquals("room:x", Topic.of("room:x").toString());
    }
}
