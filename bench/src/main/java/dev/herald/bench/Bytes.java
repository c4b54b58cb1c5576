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
}
