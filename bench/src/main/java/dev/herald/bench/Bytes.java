package dev.herald.bench;

/** Byte scanning shared by the in-place parsers (no allocation). */
final class Bytes {

    private Bytes() {
    }

    /** Whether the first {@code length} bytes of {@code buffer} start with the ASCII {@code prefix}. */
    static boolean startsWith(byte[] buffer, int length, String prefix) {
        if (length < prefix.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            if (buffer[k] != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** The index just after {@code "<key>":} in {@code buffer[from, end)}, or -1. */
    static int find(byte[] buffer, int from, int end, char key) {
        for (int k = from; k + 4 <= end; k++) {
            if (buffer[k] == '"' && buffer[k + 1] == key && buffer[k + 2] == '"' && buffer[k + 3] == ':') {
                return k + 4;
            }
        }
        return -1;
    }

    /** The decimal number starting at {@code at} (up to the first non-digit or {@code end}). */
    static long number(byte[] buffer, int at, int end) {
        long v = 0;
        for (int k = at; k < end; k++) {
            int d = buffer[k] - '0';
            if (d < 0 || d > 9) {
                break;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
