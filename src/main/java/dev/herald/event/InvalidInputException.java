package dev.herald.event;

/**
 * Input that breaks one of the rules of the event model (topic name, pattern, event type, cursor).
 * The message is safe to show to the client: it never echoes more than a short prefix of the input.
 */
public class InvalidInputException extends IllegalArgumentException {

    public InvalidInputException(String message) {
        super(message);
    }

    /** A bounded, printable excerpt of client input for error messages (no control characters). */
    public static String excerpt(String input) {
        if (input == null) {
            return "null";
        }
        String cut = input.length() > 40 ? input.substring(0, 40) + "…" : input;
        StringBuilder sb = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }
}
