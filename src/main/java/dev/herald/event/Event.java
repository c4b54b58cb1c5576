package dev.herald.event;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * One event of a topic, as stored by the broker and delivered to subscribers. Immutable.
 *
 * <p>{@code data} is the event's payload as compact JSON text (one line: the publish API
 * re-serializes whatever it accepts, so a raw CR or LF can never reach a wire format). The JSON
 * envelope, the same on every transport and API, is built once per event; wire formats cache their
 * own encodings through {@link #encoded(Encoding)} so that an event fanned out to many connections
 * is encoded once per format, not once per connection.
 */
public final class Event {

    public static final String DEFAULT_TYPE = "message";
    /** Event types with this prefix are emitted by the server itself and refused from publishers. */
    public static final String RESERVED_TYPE_PREFIX = "herald.";
    public static final int MAX_TYPE_LENGTH = 64;

    private final EventId id;
    private final Topic topic;
    private final String type;
    private final String data;
    private final long ts;
    private final String trace;
    private final String envelope;
    private final AtomicReferenceArray<Object> encodings = new AtomicReferenceArray<>(Encoding.SLOTS);

    public Event(EventId id, Topic topic, String type, String data, long ts) {
        this(id, topic, type, data, ts, null);
    }

    /**
     * @param trace the {@link TraceParent} of the publish that stored the event, or null (tracing off); a
     *              value that is not a valid traceparent is dropped
     */
    public Event(EventId id, Topic topic, String type, String data, long ts, String trace) {
        this.id = Objects.requireNonNull(id, "id");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.type = requireValidType(type);
        this.data = requireOneLineJson(data);
        this.ts = ts;
        this.trace = TraceParent.orNull(trace);
        this.envelope = "{\"id\":\"" + id + "\",\"topic\":\"" + topic.name() + "\",\"type\":\"" + type
                + "\",\"data\":" + data + ",\"ts\":" + ts
                + (this.trace == null ? "}" : ",\"traceparent\":\"" + this.trace + "\"}");
    }

    /** Checks an event type: 1–64 characters from {@code A-Z a-z 0-9 _ - . :}. */
    public static String requireValidType(String type) {
        if (!isValidType(type)) {
            throw new InvalidInputException("invalid event type '" + InvalidInputException.excerpt(type)
                    + "': 1-64 characters from A-Z a-z 0-9 _ - . :");
        }
        return type;
    }

    public static boolean isValidType(String type) {
        if (type == null || type.isEmpty() || type.length() > MAX_TYPE_LENGTH) {
            return false;
        }
        for (int i = 0; i < type.length(); i++) {
            char c = type.charAt(i);
            if (!(Topic.isAlnum(c) || c == '_' || c == '-' || c == '.' || c == ':')) {
                return false;
            }
        }
        return true;
    }

    /** Checks a type a publisher may use: valid and not in the reserved {@code herald.} namespace. */
    public static String requirePublishableType(String type) {
        requireValidType(type);
        if (type.startsWith(RESERVED_TYPE_PREFIX)) {
            throw new InvalidInputException("event type prefix 'herald.' is reserved for the server");
        }
        return type;
    }

    private static String requireOneLineJson(String data) {
        Objects.requireNonNull(data, "data");
        // Defence in depth against SSE frame injection: compact JSON never contains a raw line break.
        if (data.isEmpty() || data.indexOf('\n') >= 0 || data.indexOf('\r') >= 0) {
            throw new InvalidInputException("event data must be compact, one-line JSON");
        }
        return data;
    }

    public EventId id() {
        return id;
    }

    public Topic topic() {
        return topic;
    }

    public String type() {
        return type;
    }

    /** The payload as compact JSON text. */
    public String data() {
        return data;
    }

    /** Publish time, epoch milliseconds, set by the server. */
    public long ts() {
        return ts;
    }

    /** The traceparent of the publish that stored this event, or null when it was published untraced. */
    public String trace() {
        return trace;
    }

    /**
     * The JSON envelope {@code {"id","topic","type","data","ts"}}, on one line, with {@code "traceparent"}
     * last when the event has a {@link #trace()}.
     */
    public String envelope() {
        return envelope;
    }

    /** This event in the given wire format, computed on first use and then shared. */
    @SuppressWarnings("unchecked")
    public <T> T encoded(Encoding<T> encoding) {
        Object cached = encodings.get(encoding.slot());
        if (cached == null) {
            // Several event loops fan out the same event at once: the first encodes under a lock, so the
            // encoder runs once per event and format; the others wait for it. The fast path is lock-free.
            synchronized (encodings) {
                cached = encodings.get(encoding.slot());
                if (cached == null) {
                    cached = encoding.encoder().apply(this);
                    encodings.set(encoding.slot(), cached);
                }
            }
        }
        return (T) cached;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Event e && id.equals(e.id) && topic.equals(e.topic);
    }

    @Override
    public int hashCode() {
        return 31 * topic.hashCode() + id.hashCode();
    }

    @Override
    public String toString() {
        return envelope;
    }

    /**
     * A wire format's encoding of an event, cached on the event in a slot of its own. Slots are handed
     * out here, one per {@link #allocate} (each format declares one constant), so two formats can never
     * share one; an event holds {@link #SLOTS} of them, enough for the formats Herald has (eight) and a
     * few more.
     */
    public static final class Encoding<T> {
        static final int SLOTS = 16;
        private static final AtomicInteger NEXT = new AtomicInteger();

        private final int slot;
        private final String name;
        private final Function<Event, T> encoder;

        private Encoding(int slot, String name, Function<Event, T> encoder) {
            this.slot = slot;
            this.name = name;
            this.encoder = encoder;
        }

        /** A new format with the next free slot; fails beyond {@link #SLOTS} formats. */
        public static <T> Encoding<T> allocate(String name, Function<Event, T> encoder) {
            int slot = NEXT.getAndIncrement();
            if (slot >= SLOTS) {
                throw new IllegalStateException("no slot left for encoding '" + name + "': an event holds "
                        + SLOTS + " encodings (Event.Encoding.SLOTS)");
            }
            return new Encoding<>(slot, name, encoder);
        }

        public int slot() {
            return slot;
        }

        Function<Event, T> encoder() {
            return encoder;
        }

        @Override
        public String toString() {
            return name + "@" + slot;
        }
    }
}
