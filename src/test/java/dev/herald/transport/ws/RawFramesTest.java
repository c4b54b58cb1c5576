package dev.herald.transport.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ready-made frames, read back by Netty's own WebSocket decoder as a client would: every length
 * form (7, 16 and 64 bits) at its boundaries, lengths counted in UTF-8 bytes, and several frames back
 * to back in one buffer (a batch); and the pipelines they may be written into.
 */
class RawFramesTest {

    @Test
    void framesOfEveryLengthFormDecodeToTheirText() {
        for (int length : new int[] {0, 1, 125, 126, 127, 65_535, 65_536, 200_000}) {
            String text = "a".repeat(length);
            assertEquals(text, decodeOne(Unpooled.wrappedBuffer(RawFrames.directFrame(text))), "length " + length);
            assertEquals(text, decodeOne(RawFrames.heapFrame(text)), "length " + length);
        }
    }

    @Test
    void lengthsCountUtf8BytesNotCharacters() {
        // 124 characters but 3 + 2 + 4 extra bytes: the frame needs the 16-bit length form.
        String text = "€é😀" + "b".repeat(120);
        assertTrue(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 125);
        assertEquals(text, decodeOne(Unpooled.wrappedBuffer(RawFrames.directFrame(text))));
    }

    @Test
    void framesBackToBackInOneBufferDecodeInOrder() {
        ByteBuffer shared = RawFrames.directFrame("{\"type\":\"event\",\"n\":1}");
        ByteBuf batch = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(shared.duplicate()),
                RawFrames.heapFrame("{\"type\":\"event\",\"n\":2}" + "x".repeat(300)),
                Unpooled.wrappedBuffer(shared.duplicate()));
        EmbeddedChannel client = client();
        client.writeInbound(batch);
        assertEquals("{\"type\":\"event\",\"n\":1}", text(client.readInbound()));
        assertEquals("{\"type\":\"event\",\"n\":2}" + "x".repeat(300), text(client.readInbound()));
        assertEquals("{\"type\":\"event\",\"n\":1}", text(client.readInbound()));
        assertNull(client.readInbound());
        // The shared frame was only viewed: it can go to the next connection whole.
        assertEquals(shared.capacity(), shared.remaining());
    }

    @Test
    void writesBelowTheFrameEncoderOnlyOnAPlainUpgradedPipeline() {
        // The pipeline of an upgraded Vert.x WebSocket: ready-made frames go below "wsencoder".
        EmbeddedChannel upgraded = new EmbeddedChannel();
        upgraded.pipeline().addLast("wsdecoder", new WebSocket13FrameDecoder(true, false, 65536))
                .addLast("wsencoder", new WebSocket13FrameEncoder(false))
                .addLast("idle", new IdleStateHandler(0, 0, 60));
        assertEquals("wsencoder", RawFrames.below(upgraded).name());
        // A compressing extension would be bypassed; an HTTP encoder means the upgrade is not complete.
        EmbeddedChannel deflating = new EmbeddedChannel();
        deflating.pipeline().addLast("wsencoder", new WebSocket13FrameEncoder(false))
                .addLast("deflate", new PerMessageDeflateServerExtensionHandshaker()
                        .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of())).newExtensionEncoder());
        assertNull(RawFrames.below(deflating));
        EmbeddedChannel upgrading = new EmbeddedChannel();
        upgrading.pipeline().addLast("httpEncoder", new HttpResponseEncoder())
                .addLast("wsencoder", new WebSocket13FrameEncoder(false));
        assertNull(RawFrames.below(upgrading));
        assertNull(RawFrames.below(null));
    }

    private static EmbeddedChannel client() {
        // A client's decoder: server frames are not masked; UTF-8 is checked.
        return new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).withUTF8Validator(true).build()));
    }

    private static String decodeOne(ByteBuf frame) {
        EmbeddedChannel client = client();
        client.writeInbound(frame);
        String text = text(client.readInbound());
        assertNull(client.readInbound(), "one frame expected");
        return text;
    }

    private static String text(Object frame) {
        assertTrue(frame instanceof TextWebSocketFrame, "a text frame expected, got " + frame);
        TextWebSocketFrame text = (TextWebSocketFrame) frame;
        assertTrue(text.isFinalFragment());
        try {
            return text.text();
        } finally {
            text.release();
        }
    }
}
