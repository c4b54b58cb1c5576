package dev.herald.event;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A validated topic name: 1–200 characters from {@code A-Z a-z 0-9 _ - . : @ |}, starting with a
 * letter or a digit. Segments are separated by {@code :} ({@code room:general}, {@code user:alice}).
 *
 * <p>The character set keeps topic names safe everywhere they travel: URLs, Redis keys, JSON
 * strings and SSE frames (no quote, backslash, space or line break can appear).
 */
public record Topic(String name) implements Comparable<Topic> {

    public static final int MAX_LENGTH = 200;

    public Topic {
        if (!isValid(name)) {
            throw new InvalidInputException("invalid topic '" + InvalidInputException.excerpt(name)
                    + "': 1-200 characters from A-Z a-z 0-9 _ - . : @ |, starting with a letter or digit");
        }
    }

    public static Topic of(String name) {
        return new Topic(name);
    }

    /**
     * The topics of one subscription: 1 to {@code max} valid names, duplicates dropped, in order.
     *
     * @throws InvalidInputException naming what is wrong
     */
    public static List<Topic> listOf(Collection<String> names, int max) {
        if (names.isEmpty()) {
            throw new InvalidInputException("name at least one topic (topic=<name>)");
        }
        if (names.size() > max) {
            throw new InvalidInputException("a subscription names at most " + max + " topics, got " + names.size());
        }
        Set<Topic> unique = new LinkedHashSet<>();
        for (String name : names) {
            unique.add(of(name));
        }
        return List.copyOf(unique);
    }

    public static boolean isValid(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        if (!isAlnum(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            if (!isTopicChar(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean isTopicChar(char c) {
        return isAlnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '@' || c == '|';
    }

    static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    @Override
    public int compareTo(Topic other) {
        return name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return name;
    }
}
