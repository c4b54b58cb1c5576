package dev.herald.event;

/**
 * The position of an event in its topic, {@code <millis>-<seq>} as in Redis Streams. Strictly
 * increasing within a topic; ordered by millis, then seq. {@link #ZERO} is the position before
 * the first event of any topic.
 */
public record EventId(long millis, long seq) implements Comparable<EventId> {

    public static final EventId ZERO = new EventId(0, 0);

    public EventId {
        if (millis < 0 || seq < 0) {
            throw new InvalidInputException("event id parts must not be negative");
        }
    }

    /** Parses {@code <millis>-<seq>} (both unsigned decimal numbers); anything else is rejected. */
    public static EventId parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 41) {
            throw new InvalidInputException("invalid event id '" + InvalidInputException.excerpt(text) + "'");
        }
        int dash = text.indexOf('-');
        if (dash <= 0 || dash == text.length() - 1) {
            throw new InvalidInputException("invalid event id '" + InvalidInputException.excerpt(text) + "'");
        }
        return new EventId(parsePart(text, 0, dash), parsePart(text, dash + 1, text.length()));
    }

    private static long parsePart(String text, int from, int to) {
        if (to - from > 20) {
            throw new InvalidInputException("invalid event id '" + InvalidInputException.excerpt(text) + "'");
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new InvalidInputException("invalid event id '" + InvalidInputException.excerpt(text) + "'");
            }
            try {
                value = Math.addExact(Math.multiplyExact(value, 10), c - '0');
            } catch (ArithmeticException overflow) {
                throw new InvalidInputException("invalid event id '" + InvalidInputException.excerpt(text) + "'");
            }
        }
        return value;
    }

    /** The smallest id strictly greater than this one. */
    public EventId next() {
        return seq == Long.MAX_VALUE ? new EventId(millis + 1, 0) : new EventId(millis, seq + 1);
    }

    public boolean isAfter(EventId other) {
        return compareTo(other) > 0;
    }

    public boolean isBefore(EventId other) {
        return compareTo(other) < 0;
    }

    @Override
    public int compareTo(EventId o) {
        int c = Long.compare(millis, o.millis);
        return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public String toString() {
        return millis + "-" + seq;
    }
}
