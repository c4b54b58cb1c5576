package dev.herald.transport.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes a WebSocket's event frames and replies as ready-made frames straight into the Netty pipeline,
 * below the WebSocket frame encoder: the counterpart of the SSE stream's raw chunks.
 *
 * <p>Why: the benchmark's profile of WebSocket rooms showed each delivery going through
 * {@code sendText} (the frame's UTF-8 encoding, a {@code Uni}, a promise and its listener), Vert.x's
 * WebSocket and connection, and the frame encoder, with one flush per frame. An unmasked server text
 * frame is a two-to-ten-byte header and the payload: encoded once per event and shared by every
 * connection, a delivery is a view of a shared direct buffer, and the frames ready for a connection
 * go out in one write.
 *
 * <p>Safe because every write of the connection happens on its event loop in call order: the
 * handshake and control frames go through Vert.x, event frames and replies below it, and both land in
 * the same outbound buffer in that order; Netty counts raw bytes in its writability too. Raw frames pass
 * below {@link FrameGuard}, so once it has sent a close frame their writer drops them. Used only
 * once the upgrade is complete (no HTTP encoder left) and without a WebSocket extension in the
 * pipeline (permessage-deflate: Quarkus 3.31's WebSockets Next does not negotiate it, even with
 * {@code per-message-compression-supported}; should a later version do so, such connections write
 * through Vert.x as before). Not counted in Vert.x's bytes-written metric.
 */
final class RawFrames {

    private static final byte FIN_TEXT = (byte) 0x81;

    private RawFrames() {
    }

    /**
     * The context to write frames from, or null when this connection must write through Vert.x:
     * no channel known, an extension in the pipeline (compression), or an upgrade not yet complete
     * (an HTTP encoder still there; never seen once the client could send its first message).
     */
    static ChannelHandlerContext below(Channel channel) {
        if (channel == null) {
            return null;
        }
        ChannelPipeline pipeline = channel.pipeline();
        ChannelHandlerContext encoder = null;
        for (Map.Entry<String, ChannelHandler> entry : pipeline) {
            ChannelHandler handler = entry.getValue();
            if (handler instanceof WebSocketExtensionEncoder || handler instanceof HttpObjectEncoder) {
                return null;
            }
            if (handler instanceof WebSocketFrameEncoder) {
                encoder = pipeline.context(handler);
            }
        }
        return encoder;
    }

    /** Calls {@code onWritable} on the event loop whenever the channel becomes writable again. */
    static void onWritable(ChannelHandlerContext encoder, Runnable onWritable) {
        encoder.pipeline().addAfter(encoder.name(), "herald-writability", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
                if (ctx.channel().isWritable()) {
                    onWritable.run();
                }
                super.channelWritabilityChanged(ctx);
            }
        });
    }

    /** One unmasked text frame holding {@code text}, in a direct buffer (to share between connections). */
    static ByteBuffer directFrame(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        byte[] header = header(payload.length);
        ByteBuffer frame = ByteBuffer.allocateDirect(header.length + payload.length);
        frame.put(header).put(payload).flip();
        return frame;
    }

    /** One unmasked text frame holding {@code text}, on the heap (for frames of one connection only). */
    static ByteBuf heapFrame(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        return Unpooled.wrappedBuffer(header(payload.length), payload);
    }

    /** RFC 6455 section 5.2: FIN + text opcode, then the length in 7, 7+16 or 7+64 bits, no mask. */
    static byte[] header(int length) {
        if (length < 126) {
            return new byte[] {FIN_TEXT, (byte) length};
        }
        if (length <= 0xFFFF) {
            return new byte[] {FIN_TEXT, 126, (byte) (length >>> 8), (byte) length};
        }
        return new byte[] {FIN_TEXT, 127, 0, 0, 0, 0,
            (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }
}
