package dev.herald.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CursorTest {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private static Topic longTopic(int i) {
        String prefix = "topic:" + i + ":";
        return Topic.of(prefix + "x".repeat(Topic.MAX_LENGTH - prefix.length()));
    }

    private static void assertUrlSafe(String encoded) {
        for (char c : encoded.toCharArray()) {
            assertTrue((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_', "character '" + c + "' in " + encoded);
        }
    }

    @Test
    void roundTripsOneTopic() {
        Topic topic = longTopic(1);
        EventId id = new EventId(1732345678901L, 12);
        Cursor cursor = Cursor.of(Map.of(topic, id));
        String encoded = cursor.encode();
        assertUrlSafe(encoded);
        Cursor decoded = Cursor.decode(encoded);
        assertEquals(cursor, decoded);
        assertEquals(1, decoded.size());
        assertEquals(Optional.of(id), decoded.positionOf(topic));
    }

    @Test
    void roundTripsSixtyFourTopicsWithTwoHundredCharacterNamesWithinTheSizeLimit() {
        Map<Topic, EventId> positions = new LinkedHashMap<>();
        for (int i = 0; i < 64; i++) {
            // The largest ids make the varints as long as they get.
            positions.put(longTopic(i), new EventId(Long.MAX_VALUE - i, Long.MAX_VALUE - i));
        }
        String encoded = Cursor.of(positions).encode();
        assertTrue(encoded.length() <= Cursor.MAX_ENCODED_LENGTH, "length " + encoded.length());
        assertUrlSafe(encoded);
        Cursor decoded = Cursor.decode(encoded);
        assertEquals(64, decoded.size());
        positions.forEach((topic, id) -> assertEquals(Optional.of(id), decoded.positionOf(topic), topic.name()));
    }

    @Test
    void roundTripsZeroAndSmallPositions() {
        Map<Topic, EventId> positions = new LinkedHashMap<>();
        positions.put(Topic.of("a"), EventId.ZERO);
        positions.put(Topic.of("b"), new EventId(0, 1));
        positions.put(Topic.of("c"), new EventId(127, 128));
        Cursor decoded = Cursor.decode(Cursor.of(positions).encode());
        positions.forEach((topic, id) -> assertEquals(Optional.of(id), decoded.positionOf(topic)));
    }

    @Test
    void emptyCursorRoundTrips() {
        Cursor empty = Cursor.of(Map.of());
        Cursor decoded = Cursor.decode(empty.encode());
        assertEquals(0, decoded.size());
        assertEquals(Optional.empty(), decoded.positionOf(Topic.of("a")));
    }

    @Test
    void positionOfTopicNotInTheCursorIsEmpty() {
        Cursor cursor = Cursor.decode(Cursor.of(Map.of(Topic.of("room:a"), new EventId(5, 0))).encode());
        assertEquals(Optional.empty(), cursor.positionOf(Topic.of("room:b")));
        assertEquals(Optional.empty(), cursor.positionOf(Topic.of("room:a2")));
    }

    @Test
    void withMovesOneTopicAndLeavesTheOriginalUnchanged() {
        Topic a = Topic.of("a");
        Topic b = Topic.of("b");
        Cursor original = Cursor.of(Map.of(a, new EventId(1, 0)));
        Cursor moved = original.with(a, new EventId(2, 0)).with(b, new EventId(3, 0));
        assertEquals(Optional.of(new EventId(1, 0)), original.positionOf(a));
        assertEquals(Optional.of(new EventId(2, 0)), moved.positionOf(a));
        assertEquals(Optional.of(new EventId(3, 0)), Cursor.decode(moved.encode()).positionOf(b));
    }

    @Test
    void arrayEncodingMatchesMapEncoding() {
        Topic a = Topic.of("a");
        Topic b = Topic.of("b");
        Map<Topic, EventId> positions = new LinkedHashMap<>();
        positions.put(a, new EventId(10, 1));
        positions.put(b, new EventId(20, 2));
        String fromArrays = Cursor.encode(new long[] {Cursor.topicKey(a), Cursor.topicKey(b)},
                new EventId[] {new EventId(10, 1), new EventId(20, 2)});
        assertEquals(Cursor.of(positions).encode(), fromArrays);
    }

    @Test
    void cursorHoldsNoTopicNameInClearText() {
        Topic topic = Topic.of("secretroomname");
        String encoded = Cursor.of(Map.of(topic, new EventId(1, 1))).encode();
        String decodedBytes = new String(Base64.getUrlDecoder().decode(encoded), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(!decodedBytes.contains("secret"), decodedBytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A", "AQ+A", "AQ/A", "AQ==", "AQ=", "A Q", "AQ\n", "AQ%3D", "AQ.A", "é", "AQ*",
            "AQ!", "\u0000"})
    void rejectsTextThatIsNotUnpaddedBase64Url(String text) {
        assertThrows(InvalidInputException.class, () -> Cursor.decode(text));
    }

    @Test
    void rejectsNull() {
        assertThrows(InvalidInputException.class, () -> Cursor.decode(null));
    }

    @Test
    void rejectsWrongVersionByte() {
        String valid = Cursor.of(Map.of(Topic.of("a"), new EventId(1, 1))).encode();
        byte[] bytes = Base64.getUrlDecoder().decode(valid);
        for (int version : new int[] {0, 2, 0x7f, 0x80, 0xff}) {
            bytes[0] = (byte) version;
            String text = B64.encodeToString(bytes);
            assertThrows(InvalidInputException.class, () -> Cursor.decode(text), "version " + version);
        }
    }

    @Test
    void rejectsEveryTruncationOfAValidCursor() {
        Map<Topic, EventId> positions = new LinkedHashMap<>();
        positions.put(Topic.of("a"), new EventId(1732345678901L, 300));
        positions.put(Topic.of("b"), new EventId(1732345678999L, 0));
        byte[] bytes = Base64.getUrlDecoder().decode(Cursor.of(positions).encode());
        // Cut inside either entry (but not at the boundary between them, which is a valid 1-topic cursor).
        int firstEntryEnd = -1;
        for (int len = 0; len < bytes.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(bytes, len);
            String text = B64.encodeToString(cut);
            try {
                Cursor c = Cursor.decode(text);
                assertTrue(len == 1 || firstEntryEnd < 0, "decoded a truncated cursor of " + len + " bytes");
                if (len > 1) {
                    firstEntryEnd = len;
                    assertEquals(1, c.size());
                }
            } catch (InvalidInputException expected) {
                // rejected, as it should
            }
        }
        assertTrue(firstEntryEnd > 1, "the boundary between entries decodes as a one-topic cursor");
    }

    @Test
    void rejectsOverflowingVarint() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        out.writeBytes(new byte[8]);
        for (int i = 0; i < 12; i++) {
            out.write(0xff);
        }
        out.write(0x01);
        out.write(0x00);
        String text = B64.encodeToString(out.toByteArray());
        assertThrows(InvalidInputException.class, () -> Cursor.decode(text));
    }

    @Test
    void rejectsVarintThatDoesNotFitInSixtyThreeBits() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        out.writeBytes(new byte[8]);
        for (int i = 0; i < 8; i++) {
            out.write(0xff);
        }
        out.write(0x7f); // ninth byte: bits 56..62, so millis = 2^63-1, the largest id part
        out.write(0x00); // seq = 0
        String largest = B64.encodeToString(out.toByteArray());
        Cursor decoded = Cursor.decode(largest);
        assertEquals(1, decoded.size());
        assertEquals(largest, decoded.encode());

        ByteArrayOutputStream tooBig = new ByteArrayOutputStream();
        tooBig.write(1);
        tooBig.writeBytes(new byte[8]);
        for (int i = 0; i < 9; i++) {
            tooBig.write(0xff);
        }
        tooBig.write(0x01); // a tenth byte: 2^63 and more
        tooBig.write(0x00);
        assertThrows(InvalidInputException.class, () -> Cursor.decode(B64.encodeToString(tooBig.toByteArray())));
    }

    @Test
    void rejectsTextLongerThanTheLimit() {
        assertThrows(InvalidInputException.class, () -> Cursor.decode("A".repeat(Cursor.MAX_ENCODED_LENGTH + 1)));
        String valid = Cursor.of(Map.of(Topic.of("a"), new EventId(1, 1))).encode();
        assertThrows(InvalidInputException.class,
                () -> Cursor.decode(valid + "A".repeat(Cursor.MAX_ENCODED_LENGTH + 1 - valid.length())));
    }

    @Test
    void randomBytesEitherDecodeOrAreRejectedAsInvalidInput() {
        Random random = new Random(20240601L);
        int decoded = 0;
        for (int i = 0; i < 1000; i++) {
            byte[] bytes = new byte[random.nextInt(120)];
            random.nextBytes(bytes);
            if (i % 2 == 0 && bytes.length > 0) {
                bytes[0] = 1; // half of them get past the version check
            }
            String text = B64.encodeToString(bytes);
            try {
                Cursor c = Cursor.decode(text);
                decoded++;
                // What decodes must survive a round trip.
                assertEquals(c, Cursor.decode(c.encode()));
            } catch (InvalidInputException expected) {
                // fine
            } catch (RuntimeException other) {
                fail("input " + text + " threw " + other, other);
            }
        }
        assertTrue(decoded > 0, "some random inputs are valid cursors");
    }

    @Test
    void randomTextEitherDecodesOrIsRejectedAsInvalidInput() {
        Random random = new Random(99L);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n%é";
        for (int i = 0; i < 1000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(200);
            for (int k = 0; k < len; k++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String text = sb.toString();
            try {
                Cursor.decode(text);
            } catch (InvalidInputException expected) {
                // fine
            } catch (RuntimeException other) {
                fail("input '" + text + "' threw " + other, other);
            }
        }
    }
}
