package dev.herald.transport.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes an SSE stream's frames as ready-made HTTP/1.1 chunks straight into the Netty pipeline, below
 * Vert.x's HTTP encoder.
 *
 * <p>Why: the benchmark's profile of a broadcast showed each delivery's write going through Quarkus'
 * response wrapper, Vert.x's response and connection (two monitors, a content object, a promise and
 * its listener), the idle-state handler and the HTTP encoder (a chunk header allocated per write) for
 * a few hundred bytes. A frame chunk-encoded once per event and shared by every connection skips all
 * of that; the write is a view of a shared direct buffer.
 *
 * <p>Safe because every write of the stream happens on its event loop in call order: the head and
 * preamble go through Vert.x first (the encoder is then in its chunked-content state), raw chunks
 * follow in the same outbound buffer, and the end of the response ({@code 0\r\n\r\n}) and the
 * heartbeats still go through Vert.x (heartbeats keep the idle-state handler seeing activity).
 * Netty's outbound buffer counts raw bytes too, so {@code writeQueueFull} and the drain handler keep
 * working. Used only for plain HTTP/1.1 without compression; elsewhere (HTTP/2, a deflater in the
 * pipeline, and HTTP/1.0, which has no chunked coding: the chunk sizes would reach the client as body
 * bytes) the stream writes through Vert.x. Not counted in Vert.x's bytes-written metric.
 */
final class RawChunks {

    private static final byte[] CRLF = {'\r', '\n'};

    private RawChunks() {
    }

    /** The context to write chunks from, or null when this connection must write through Vert.x. */
    static ChannelHandlerContext below(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return null;
        }
        ChannelPipeline pipeline = base.channel().pipeline();
        if (pipeline.get("deflater") != null) {
            return null;
        }
        return pipeline.context("httpEncoder");
    }

    /** One HTTP chunk holding {@code frame}, in a direct buffer (to share between connections). */
    static ByteBuffer directChunk(byte[] frame) {
        byte[] head = (Integer.toHexString(frame.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer chunk = ByteBuffer.allocateDirect(head.length + frame.length + CRLF.length);
        chunk.put(head).put(frame).put(CRLF).flip();
        return chunk;
    }

    /** One HTTP chunk holding {@code frame}, on the heap (for frames of one connection only). */
    static ByteBuf heapChunk(byte[] frame) {
        byte[] head = (Integer.toHexString(frame.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        return Unpooled.wrappedBuffer(head, frame, CRLF);
    }
}
