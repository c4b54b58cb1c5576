package dev.herald.event;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicPatternTest {

    @Test
    void acceptsExactTopicName() {
        TopicPattern p = TopicPattern.of("room:general");
        assertFalse(p.isWildcard());
    }

    @Test
    void acceptsPrefixEndingWithStar() {
        TopicPattern p = TopicPattern.of("prices:*");
        assertTrue(p.isWildcard());
    }

    @Test
    void acceptsStarAlone() {
        TopicPattern p = TopicPattern.of("*");
        assertTrue(p.isWildcard());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a*b", "**", "*a", "", "a**", "*:*", "a b*", "a/*", "_a*", "a\n*", "é*", " *", "* "})
    void rejectsMalformedPattern(String pattern) {
        assertThrows(InvalidInputException.class, () -> TopicPattern.of(pattern));
        assertFalse(TopicPattern.isValid(pattern));
    }

    @Test
    void rejectsNullPattern() {
        assertThrows(InvalidInputException.class, () -> TopicPattern.of(null));
    }

    @Test
    void acceptsPatternsUpToTheTopicLengthLimit() {
        assertDoesNotThrow(() -> TopicPattern.of("a".repeat(200)));
        assertDoesNotThrow(() -> TopicPattern.of("a".repeat(199) + "*"));
        assertThrows(InvalidInputException.class, () -> TopicPattern.of("a".repeat(201)));
    }

    @Test
    void exactPatternMatchesOnlyThatTopic() {
        TopicPattern p = TopicPattern.of("room:general");
        assertTrue(p.matches(Topic.of("room:general")));
        assertFalse(p.matches(Topic.of("room:general2")));
        assertFalse(p.matches(Topic.of("room:genera")));
        assertFalse(p.matches(Topic.of("room")));
    }

    @Test
    void prefixPatternMatchesTopicsStartingWithThePrefix() {
        TopicPattern p = TopicPattern.of("prices:*");
        assertTrue(p.matches(Topic.of("prices:BTC")));
        assertTrue(p.matches(Topic.of("prices:BTC-USD:spot")));
        assertTrue(p.matches(Topic.of("prices:")));
        assertFalse(p.matches(Topic.of("price")));
        assertFalse(p.matches(Topic.of("prices")));
        assertFalse(p.matches(Topic.of("xprices:BTC")));
    }

    @Test
    void prefixWithoutSeparatorMatchesAnyContinuation() {
        TopicPattern p = TopicPattern.of("price*");
        assertTrue(p.matches(Topic.of("price")));
        assertTrue(p.matches(Topic.of("prices:BTC")));
        assertFalse(p.matches(Topic.of("pric")));
    }

    @Test
    void starAloneMatchesEveryTopic() {
        TopicPattern p = TopicPattern.of("*");
        assertTrue(p.matches(Topic.of("a")));
        assertTrue(p.matches(Topic.of("prices:BTC")));
        assertTrue(p.matches(Topic.of("z".repeat(200))));
    }

    @Test
    void matchingIsCaseSensitive() {
        assertFalse(TopicPattern.of("Prices:*").matches(Topic.of("prices:BTC")));
        assertFalse(TopicPattern.of("room:A").matches(Topic.of("room:a")));
    }
}
