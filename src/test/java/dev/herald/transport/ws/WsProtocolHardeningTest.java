package dev.herald.transport.ws;

import static dev.herald.support.HttpApi.historyIds;
import static dev.herald.support.HttpApi.topic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.Metrics;
import dev.herald.support.RawWebSocket;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Frames that break RFC 6455, sent over a bare socket: each gets the close code that says why (1009
 * too big, 1007 invalid UTF-8, 1002 protocol error), readable by the client before the connection
 * ends, never a bare FIN or reset (1006 at the client). After each, the node still serves WebSockets.
 */
@QuarkusTest
class WsProtocolHardeningTest {

    static final String ADMIN = TestTokens.admin();
    static final int TEXT = 0x1;
    static final int CONTINUATION = 0x0;
    static final int PING = 0x9;
    static final int FIN = 0x80;

    @TestHTTPResource("/")
    URI base;

    private RawWebSocket connect(Map<String, String> headers) {
        RawWebSocket ws = RawWebSocket.connect(base, headers, 0);
        assertEquals(101, ws.status(), ws.head());
        return ws;
    }

    private RawWebSocket authenticated() {
        return connect(Map.of("Authorization", "Bearer " + ADMIN));
    }

    /** Reads the close frame, then the end of the stream: the server closed after it, cleanly. */
    private static RawWebSocket.Frame closeFrame(RawWebSocket ws) {
        RawWebSocket.Frame close = ws.awaitClose();
        assertNotNull(close, "a close frame, not a bare end of the connection (1006 at the client)");
        assertNull(ws.read(), "the connection ends after the close frame");
        return close;
    }

    @AfterEach
    void theNodeStillServesWebSockets() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendText("{\"op\":\"ping\"}");
            assertEquals("pong", new io.restassured.path.json.JsonPath(ws.readText().text()).getString("type"));
        }
    }

    @Test
    void aSingleTextFrameOverTheSizeLimitGetsClose1009AndPublishesNothing() {
        String topic = topic("room");
        double open = Metrics.value("herald_connections", "transport=\"ws\"");
        try (RawWebSocket ws = authenticated()) {
            ws.sendText("{\"op\":\"publish\",\"topic\":\"" + topic + "\",\"data\":\"" + "x".repeat(100_000) + "\"}");
            RawWebSocket.Frame close = closeFrame(ws);
            assertEquals(1009, close.closeCode());
            assertTrue(close.closeReason().contains("at most 65536 bytes"), close.closeReason());
        }
        assertEquals(List.of(), historyIds(topic));
        // The session learnt that its connection ended: its place and subscriptions are released.
        Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> Metrics.value("herald_connections", "transport=\"ws\"") == open);
    }

    @Test
    void anOversizedAuthFrameGetsClose1009() {
        try (RawWebSocket ws = connect(Map.of())) {
            ws.sendText("{\"op\":\"auth\",\"token\":\"" + "a".repeat(100_000) + "\"}");
            assertEquals(1009, closeFrame(ws).closeCode());
        }
    }

    @Test
    void aTwoMegabyteFrameGetsClose1009() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendText("{\"op\":\"ping\",\"ref\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}");
            assertEquals(1009, closeFrame(ws).closeCode());
        }
    }

    @Test
    void invalidUtf8InATextFrameGetsClose1007() {
        byte[][] invalid = {
            {'{', (byte) 0xff, '}'},                                  // never valid in UTF-8
            {'"', (byte) 0xc0, (byte) 0xaf, '"'},                     // overlong '/'
            {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'},        // a UTF-16 surrogate
            {'"', (byte) 0xe2, (byte) 0x82},                          // cut short at the end
        };
        for (byte[] payload : invalid) {
            try (RawWebSocket ws = authenticated()) {
                ws.send(TEXT, payload);
                assertEquals(1007, closeFrame(ws).closeCode());
            }
        }
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsGetsClose1007() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendFrame(TEXT, true, "{\"op\":\"ping\",\"ref\":\"".getBytes(StandardCharsets.US_ASCII));
            ws.sendFrame(FIN | CONTINUATION, true, new byte[] {(byte) 0xf8, (byte) 0x88, '"', '}'});
            assertEquals(1007, closeFrame(ws).closeCode());
        }
    }

    @Test
    void anUnmaskedClientFrameGetsClose1002() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendFrame(FIN | TEXT, false, "{\"op\":\"ping\"}".getBytes(StandardCharsets.US_ASCII));
            assertEquals(1002, closeFrame(ws).closeCode());
        }
    }

    @Test
    void aContinuationWithoutAStartGetsClose1002() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendFrame(FIN | CONTINUATION, true, "{\"op\":\"ping\"}".getBytes(StandardCharsets.US_ASCII));
            assertEquals(1002, closeFrame(ws).closeCode());
        }
    }

    @Test
    void reservedOpcodesGetClose1002() {
        for (int opcode : new int[] {0x3, 0x7, 0xb, 0xf}) {
            try (RawWebSocket ws = authenticated()) {
                ws.sendFrame(FIN | opcode, true, new byte[] {1, 2, 3});
                assertEquals(1002, closeFrame(ws).closeCode(), "opcode " + opcode);
            }
        }
    }

    @Test
    void aReplyGatheredBeforeARefusedFrameNeverFollowsTheCloseFrame() {
        try (RawWebSocket ws = authenticated()) {
            // A valid request and a frame with reserved bits reach the node in one read: the pong, gathered
            // for the end of the turn, must not be written after the close frame the refusal sends.
            byte[] ping = "{\"op\":\"ping\"}".getBytes(StandardCharsets.US_ASCII);
            ws.sendFramesTogether(List.of(Map.entry(FIN | TEXT, ping), Map.entry(FIN | 0x40 | TEXT, ping)));
            RawWebSocket.Frame frame = ws.read();
            if (frame != null && frame.opcode() == TEXT) {
                frame = ws.read(); // the pong may come first, before the close frame
            }
            assertNotNull(frame, "a close frame, not a bare end of the connection");
            assertEquals(0x8, frame.opcode(), "the close frame");
            assertEquals(1002, frame.closeCode());
            assertNull(ws.read(), "nothing after the close frame");
        }
    }

    @Test
    void reservedBitsWithoutAnExtensionGetClose1002() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendFrame(FIN | 0x40 | TEXT, true, "{\"op\":\"ping\"}".getBytes(StandardCharsets.US_ASCII));
            assertEquals(1002, closeFrame(ws).closeCode());
        }
    }

    @Test
    void aPingOver125BytesGetsClose1002() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendFrame(FIN | PING, true, new byte[200]);
            assertEquals(1002, closeFrame(ws).closeCode());
        }
    }

    @Test
    void aFragmentedPingGetsClose1002() {
        try (RawWebSocket ws = authenticated()) {
            ws.sendFrame(PING, true, new byte[] {1});
            assertEquals(1002, closeFrame(ws).closeCode());
        }
    }
}
