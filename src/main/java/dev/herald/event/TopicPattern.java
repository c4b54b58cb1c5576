package dev.herald.event;

/**
 * A topic pattern, as used in token claims and configuration: an exact topic name, a prefix ending
 * with {@code *} ({@code prices:*}), or {@code *} alone (every topic).
 */
public record TopicPattern(String pattern) {

    public TopicPattern {
        if (!isValid(pattern)) {
            throw new InvalidInputException("invalid topic pattern '" + InvalidInputException.excerpt(pattern)
                    + "': an exact topic, a prefix ending with *, or * alone");
        }
    }

    public static TopicPattern of(String pattern) {
        return new TopicPattern(pattern);
    }

    public static boolean isValid(String pattern) {
        if (pattern == null || pattern.isEmpty() || pattern.length() > Topic.MAX_LENGTH) {
            return false;
        }
        if (pattern.equals("*")) {
            return true;
        }
        if (pattern.endsWith("*")) {
            String prefix = pattern.substring(0, pattern.length() - 1);
            // The prefix is the start of a topic name: it must itself be a valid name (it cannot
            // contain a second '*', a space or a line break).
            return Topic.isValid(prefix);
        }
        return Topic.isValid(pattern);
    }

    public boolean isWildcard() {
        return pattern.endsWith("*");
    }

    public boolean matches(Topic topic) {
        return matchesName(topic.name());
    }

    /**
     * As {@link #matches(Topic)}, for a name that already follows the topic-name rule (a queue's name): no
     * {@code Topic} is made and the prefix is compared in place.
     */
    public boolean matchesName(String name) {
        int prefix = pattern.length() - 1;
        if (pattern.charAt(prefix) == '*') {
            return name.regionMatches(0, pattern, 0, prefix);
        }
        return name.equals(pattern);
    }

    @Override
    public String toString() {
        return pattern;
    }
}
