package dev.herald.event;

/**
 * A W3C Trace Context {@code traceparent} value, version 00: {@code 00-<32 hex trace id>-<16 hex span
 * id>-<2 hex flags>}, lower case, 55 characters. Events carry one when they were published while tracing
 * was on, so the node that delivers them (any node) continues the publisher's trace, and clients can read
 * it from the envelope.
 */
public final class TraceParent {

    public static final int LENGTH = 55;

    private TraceParent() {
    }

    /**
     * Whether {@code value} is a version-00 traceparent with a non-zero trace and span id. Stored events are
     * checked with it too: a value that fails is dropped, never written into an envelope (it is copied there
     * without escaping, so nothing but these 55 characters may reach it).
     */
    public static boolean isValid(String value) {
        if (value == null || value.length() != LENGTH || !value.startsWith("00-")
                || value.charAt(35) != '-' || value.charAt(52) != '-') {
            return false;
        }
        return hex(value, 3, 35) && hex(value, 36, 52) && hex(value, 53, 55)
                && !zeros(value, 3, 35) && !zeros(value, 36, 52);
    }

    /** {@code value} when valid, else null. */
    public static String orNull(String value) {
        return isValid(value) ? value : null;
    }

    /** The 32 hex digits of the trace id. */
    public static String traceId(String traceparent) {
        return traceparent.substring(3, 35);
    }

    /** The 16 hex digits of the span id (the parent of whatever continues the trace). */
    public static String spanId(String traceparent) {
        return traceparent.substring(36, 52);
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
