package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Answers a frame that breaks RFC 6455 with a close frame that says why, and lets the client read it.
 *
 * <p>Vert.x builds its WebSocket decoder without {@code closeOnProtocolViolation} and without UTF-8
 * validation: a single frame over the size limit, an unmasked frame, a continuation without a start, a
 * reserved opcode or a ping over 125 bytes made it drop the TCP connection at once, so clients saw
 * 1006 (and, with unread bytes still arriving, the reset could destroy even a close frame already
 * sent); invalid UTF-8 in a text frame was read as replacement characters and the connection went on.
 * Installed in the channel's pipeline before Vert.x's handler at the upgrade, so after the WebSocket
 * decoder once the handshake replaced the HTTP one, this validates text frames as UTF-8 (Netty's
 * {@link Utf8FrameValidator}), refuses reserved bits where no extension was negotiated, and turns the
 * decoder's and the validator's refusals into a close frame: 1009 message too big, 1007 invalid UTF-8,
 * 1002 any other protocol violation.
 *
 * <p>After the close frame it half-closes (FIN after the close frame) and reads and discards whatever
 * the client still sends, for at most {@link #DRAIN_MILLIS} and {@link #DRAIN_BYTES}, so that the
 * client's last bytes never turn the close into a reset; the connection closes when the client closes
 * its side or either bound is reached. Meanwhile Vert.x's writes and close are held back, and the raw
 * frames written below this handler are dropped by their writer ({@link #refused}): nothing may follow
 * a close frame. Vert.x learns that the connection ended when it does (its session closes then).
 */
final class FrameGuard extends ChannelDuplexHandler {

    static final String NAME = "herald-frame-guard";
    static final String UTF8 = "herald-utf8";
    static final String DISCARD = "herald-discard";
    /** How long a refused client may go on sending before the connection is closed anyway. */
    static final long DRAIN_MILLIS = 2000;
    /** How much a refused client may still send before the connection is closed anyway. */
    static final long DRAIN_BYTES = 4L * 1024 * 1024;

    private static final Logger LOG = Logger.getLogger(FrameGuard.class);
    /** A close frame's reason is at most 123 bytes (RFC 6455 section 5.5). */
    private static final int MAX_REASON_BYTES = 123;

    private final int maxMessageBytes;
    private boolean closing;

    private FrameGuard(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Puts the guard on an HTTP/1.1 connection that is about to be upgraded; does nothing when the
     * pipeline is not the one Vert.x builds (no {@code handler}) or already has it.
     */
    static void install(Channel channel, int maxMessageBytes) {
        ChannelPipeline pipeline = channel.pipeline();
        if (pipeline.get("handler") == null || pipeline.get(NAME) != null) {
            return;
        }
        // Frames only: until the upgrade both see HTTP messages and pass them on.
        pipeline.addBefore("handler", UTF8, new Utf8FrameValidator(false));
        pipeline.addBefore("handler", NAME, new FrameGuard(maxMessageBytes));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (closing) {
            // Frames decoded from bytes that arrived with the refused one.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof WebSocketFrame frame && frame.rsv() != 0
                && ctx.pipeline().get(WebSocketExtensionDecoder.class) == null) {
            // Vert.x lets the decoder accept reserved bits because it offers compression; without an
            // extension negotiated on this connection they mean nothing (RFC 6455 section 5.2).
            frame.release();
            refuse(ctx, ErrorCode.FRAME_PROTOCOL_VIOLATION, "reserved bits set without a negotiated extension");
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (!(cause instanceof CorruptedWebSocketFrameException refused)) {
            super.exceptionCaught(ctx, cause);
            return;
        }
        int status = refused.closeStatus().code();
        refuse(ctx, status == ErrorCode.PAYLOAD_TOO_LARGE.closeCode() ? ErrorCode.PAYLOAD_TOO_LARGE
                : status == ErrorCode.INVALID_UTF8.closeCode() ? ErrorCode.INVALID_UTF8
                : ErrorCode.FRAME_PROTOCOL_VIOLATION, refused.getMessage());
    }

    private void refuse(ChannelHandlerContext ctx, ErrorCode code, String detail) {
        if (closing || !ctx.channel().isActive()) {
            return;
        }
        closing = true;
        LOG.debugf("WebSocket %s refused a frame (%s): closing with %d", ctx.channel().id(), detail, code.closeCode());
        discardInput(ctx);
        ctx.writeAndFlush(new CloseWebSocketFrame(code.closeCode(), reason(code, detail))).addListener(written -> {
            if (ctx.channel() instanceof DuplexChannel duplex && ctx.pipeline().get(SslHandler.class) == null) {
                duplex.shutdownOutput();
            }
        });
        ctx.executor().schedule(() -> closeNow(ctx), DRAIN_MILLIS, TimeUnit.MILLISECONDS);
    }

    private String reason(ErrorCode code, String detail) {
        String reason = switch (code) {
            case PAYLOAD_TOO_LARGE -> "message too big: at most " + maxMessageBytes + " bytes";
            case INVALID_UTF8 -> "invalid UTF-8 in a text message";
            default -> "protocol error: " + detail;
        };
        // ASCII: Netty's messages and ours.
        return reason.length() <= MAX_REASON_BYTES ? reason : reason.substring(0, MAX_REASON_BYTES);
    }

    /** From now on the bytes the client sends are counted and dropped before any decoding. */
    private void discardInput(ChannelHandlerContext guard) {
        ChannelInboundHandlerAdapter discard = new ChannelInboundHandlerAdapter() {
            private long discarded;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf bytes) {
                    discarded += bytes.readableBytes();
                }
                ReferenceCountUtil.release(msg);
                if (discarded > DRAIN_BYTES) {
                    closeNow(guard);
                }
            }
        };
        ChannelPipeline pipeline = guard.pipeline();
        if (pipeline.get("wsdecoder") != null) {
            pipeline.addBefore("wsdecoder", DISCARD, discard);
        } else {
            pipeline.addFirst(DISCARD, discard);
        }
    }

    private static void closeNow(ChannelHandlerContext ctx) {
        ctx.close();
    }

    /**
     * Whether this guard has refused a frame and sent its close frame. Frames written below it (event
     * frames and replies on the raw path, {@link RawFrames}) do not pass through {@link #write}: their
     * writer asks this instead.
     */
    boolean refused() {
        return closing;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (closing) {
            // Nothing follows a close frame; the writer learns the connection is gone.
            ReferenceCountUtil.release(msg);
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        if (closing && ctx.channel().isActive()) {
            // Vert.x closing (its session gave up on a failed write): wait for the drain to end.
            ctx.channel().closeFuture().addListener(closed -> promise.trySuccess());
            return;
        }
        super.close(ctx, promise);
    }
}
