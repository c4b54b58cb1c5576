package dev.herald.event;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A resume position in every topic of a subscription: for each topic, the id of the last event the
 * client has (or {@link EventId#ZERO} when the topic was empty when the client subscribed).
 *
 * <p>Encoded as an opaque, URL-safe string of at most {@value #MAX_ENCODED_LENGTH} characters:
 * base64url (no padding) of a version byte followed by, for each topic, a 64-bit hash of the topic
 * name and the event id as two unsigned varints. Hashing keeps a 64-topic cursor well under the
 * limit whatever the topic names; the subscription's own topic list resolves the hashes back. The
 * cursor holds no secret and no topic name in clear text, and is valid on every node.
 */
public final class Cursor {

    public static final int MAX_ENCODED_LENGTH = 4096;
    private static final byte VERSION = 1;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final Map<Long, EventId> positions;

    private Cursor(Map<Long, EventId> positions) {
        this.positions = positions;
    }

    /** A cursor naming the given position for each topic. */
    public static Cursor of(Map<Topic, EventId> positions) {
        Map<Long, EventId> byKey = new LinkedHashMap<>();
        positions.forEach((topic, id) -> byKey.put(topicKey(topic), id));
        return new Cursor(Collections.unmodifiableMap(byKey));
    }

    /** The position for {@code topic}, or empty when this cursor does not name it. */
    public Optional<EventId> positionOf(Topic topic) {
        return Optional.ofNullable(positions.get(topicKey(topic)));
    }

    public int size() {
        return positions.size();
    }

    /** A copy of this cursor with {@code topic} moved to {@code id}. */
    public Cursor with(Topic topic, EventId id) {
        Map<Long, EventId> copy = new LinkedHashMap<>(positions);
        copy.put(topicKey(topic), id);
        return new Cursor(Collections.unmodifiableMap(copy));
    }

    public String encode() {
        long[] keys = new long[positions.size()];
        EventId[] ids = new EventId[positions.size()];
        int i = 0;
        for (Map.Entry<Long, EventId> e : positions.entrySet()) {
            keys[i] = e.getKey();
            ids[i++] = e.getValue();
        }
        return encode(keys, ids);
    }

    /**
     * Encodes positions given as parallel arrays of {@link #topicKey topic keys} and ids; used on the
     * delivery path, where a subscription keeps its positions in arrays rather than a map.
     */
    public static String encode(long[] topicKeys, EventId[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 + topicKeys.length * 20);
        out.write(VERSION);
        for (int i = 0; i < topicKeys.length; i++) {
            long k = topicKeys[i];
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (k >>> shift) & 0xff);
            }
            writeVarint(out, ids[i].millis());
            writeVarint(out, ids[i].seq());
        }
        return ENCODER.encodeToString(out.toByteArray());
    }

    /**
     * Decodes a cursor. Anything that is not a cursor this server wrote (wrong alphabet, wrong
     * version, truncated, oversized, overflowing numbers) is an {@link InvalidInputException}:
     * the caller answers with a {@code herald.reset} of reason {@code invalid-cursor}.
     */
    public static Cursor decode(String text) {
        if (text == null || text.isEmpty()) {
            throw new InvalidInputException("empty cursor");
        }
        if (text.length() > MAX_ENCODED_LENGTH) {
            throw new InvalidInputException("cursor longer than " + MAX_ENCODED_LENGTH + " characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(Topic.isAlnum(c) || c == '-' || c == '_')) {
                throw new InvalidInputException("cursor is not base64url");
            }
        }
        byte[] bytes;
        try {
            bytes = DECODER.decode(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("cursor is not base64url");
        }
        if (bytes.length < 1 || bytes[0] != VERSION) {
            throw new InvalidInputException("unknown cursor version");
        }
        Map<Long, EventId> positions = new LinkedHashMap<>();
        int[] pos = {1};
        while (pos[0] < bytes.length) {
            if (bytes.length - pos[0] < 10) {
                throw new InvalidInputException("truncated cursor");
            }
            long key = 0;
            for (int i = 0; i < 8; i++) {
                key = (key << 8) | (bytes[pos[0]++] & 0xff);
            }
            long millis = readVarint(bytes, pos);
            long seq = readVarint(bytes, pos);
            positions.put(key, new EventId(millis, seq));
        }
        return new Cursor(Collections.unmodifiableMap(positions));
    }

    /** The 64-bit FNV-1a hash of the topic name that stands for the topic inside a cursor. */
    public static long topicKey(Topic topic) {
        long h = 0xcbf29ce484222325L;
        String name = topic.name();
        for (int i = 0; i < name.length(); i++) {
            h ^= name.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static long readVarint(byte[] bytes, int[] pos) {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7) {
            if (pos[0] >= bytes.length) {
                throw new InvalidInputException("truncated cursor");
            }
            byte b = bytes[pos[0]++];
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new InvalidInputException("cursor number out of range");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cursor c && positions.equals(c.positions);
    }

    @Override
    public int hashCode() {
        return positions.hashCode();
    }

    @Override
    public String toString() {
        return encode();
    }
}
