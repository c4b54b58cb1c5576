package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import dev.herald.event.Event;
import dev.herald.hub.DeliveryWriter;
import dev.herald.hub.Subscription;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.transport.EventLoopWakeups;
import dev.herald.transport.FrameBatch;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Context;
import java.util.function.Consumer;

/**
 * What a WebSocket connection writes, on its event loop. Where the pipeline allows ({@link RawFrames}),
 * event frames and replies are written below Vert.x as ready-made frames, gathered in one batch in
 * call order: the frames of one drain go out as one write, and the replies of one turn of the event
 * loop (the jobs one lease pushes, the answers to the acks one read brought) as one write at the end of
 * that turn, not a write and a flush each. Control frames (ping, close) and, where the pipeline does
 * not allow, everything go through WebSockets Next; a close first writes the replies gathered before it.
 *
 * <p>Backpressure: replies are written without a bound, so event frames are written only while the
 * channel is writable and fewer than {@link #MAX_IN_FLIGHT} replies are unflushed; the rest wait in the
 * subscriptions' bounded queues, and a subscription whose queue overflows closes the connection with
 * 4008. A client that sends but never reads is cut off at {@link #MAX_IN_FLIGHT_HARD} unflushed replies.
 */
final class WsOutbound {

    /** Replies gathered or written but not yet flushed to the socket before the subscriptions wait. */
    static final int MAX_IN_FLIGHT = 64;
    /** Replies too: a client that sends but never reads is cut off here. */
    private static final int MAX_IN_FLIGHT_HARD = 1024;

    private final WsSession session;
    private final WebSocketConnection connection;
    private final Context context;
    private final Thread eventLoop;
    private final EventLoopWakeups wakeups;
    private final HeraldMetrics.DeliveryMeter meter;
    /** Event frames and replies gathered but not yet written, in call order (raw path only). */
    private final FrameBatch batch = new FrameBatch();
    /** Where frames are written as ready-made frames, below Vert.x; null: through Vert.x. */
    private ChannelHandlerContext raw;
    /** The connection's frame guard (raw path): once it has sent a close frame, nothing more is written. */
    private FrameGuard guard;
    private final Consumer<ByteBuf> writeRaw = this::writeRaw;
    private boolean rawChecked;
    private boolean blocked;
    private int inFlight;
    /** Replies in {@link #batch}, counted in {@link #inFlight} until the write that carries them completes. */
    private int batchedReplies;
    /** Whether the end-of-turn write of the replies gathered is scheduled. */
    private boolean replyWriteScheduled;

    WsOutbound(WsSession session, WebSocketConnection connection, Context context,
               HeraldMetrics.DeliveryMeter meter) {
        this.session = session;
        this.connection = connection;
        this.context = context;
        this.eventLoop = Thread.currentThread();
        this.wakeups = EventLoopWakeups.of(context);
        this.meter = meter;
    }

    /** Wakes {@code task} on this connection's event loop, batched with the loop's other wake-ups. */
    void wake(Runnable task) {
        wakeups.wake(task);
    }

    /** Drains one subscription's queue into frames: written as one batch per pass on the raw path. */
    void drain(Subscription subscription, DeliveryWriter writer) {
        checkRaw();
        do {
            subscription.drain(writer);
            // A full batch stops the drain (canWriteEvents); written, the drain goes on.
        } while (writeBatch() && canWriteEvents());
    }

    /** Looks once, on the first write, whether this connection's frames can be written below Vert.x. */
    private void checkRaw() {
        if (!rawChecked) {
            rawChecked = true;
            raw = RawFrames.below(connection.userData().get(UpgradeCheck.CHANNEL));
            if (raw != null) {
                RawFrames.onWritable(raw, this::resume);
                guard = raw.pipeline().get(FrameGuard.class);
            }
        }
    }

    /** Whether event frames may be written now; when not, the subscriptions are drained once writes complete. */
    boolean canWriteEvents() {
        if (session.closing() || batch.full()) {
            return false;
        }
        if (inFlight >= MAX_IN_FLIGHT || raw != null && !raw.channel().isWritable()) {
            blocked = true;
            return false;
        }
        return true;
    }

    void writeEvent(Event event, String cursor, boolean singleTopic, boolean replayed) {
        if (raw != null) {
            // A view of the event's shared, ready-made frame in direct memory: no copy per connection.
            if (singleTopic) {
                batch.addShared(event.encoded(WsFrames.SINGLE_TOPIC_FRAME));
            } else {
                batch.add(RawFrames.heapFrame(WsFrames.event(cursor, event)), true);
            }
        } else {
            send(singleTopic ? event.encoded(WsFrames.SINGLE_TOPIC_EVENT) : WsFrames.event(cursor, event));
            meter.delivered(1);
        }
        if (!replayed) {
            meter.latency(System.currentTimeMillis() - event.ts());
        }
    }

    /** A notice in its subscription's order: in the same batch as the events around it. */
    void writeNotice(String frame) {
        if (raw != null) {
            batch.add(RawFrames.heapFrame(frame), false);
        } else {
            send(frame);
        }
    }

    /**
     * Writes the gathered frames as one buffer; returns whether the batch was full. Once the connection
     * is closing, or its frame guard has sent a close frame (raw writes pass below the guard), they are
     * dropped: nothing may follow a close frame.
     */
    private boolean writeBatch() {
        if (session.closing() || refused()) {
            inFlight -= batchedReplies;
            batchedReplies = 0;
            return batch.flush(null, meter);
        }
        return batch.flush(writeRaw, meter);
    }

    private boolean refused() {
        return guard != null && guard.refused();
    }

    /** Writes one batch below Vert.x; when it carries replies, they are counted out once it completes. */
    private void writeRaw(ByteBuf frames) {
        int replies = batchedReplies;
        batchedReplies = 0;
        if (replies == 0) {
            raw.writeAndFlush(frames, raw.voidPromise());
        } else {
            raw.writeAndFlush(frames).addListener(done -> written(replies));
        }
    }

    /**
     * A reply or notice, counted until it is flushed: gathered with the others of this turn and the
     * event frames around it where the pipeline allows, else through WebSockets Next.
     */
    void send(String text) {
        if (Thread.currentThread() != eventLoop) {
            context.runOnContext(v -> send(text));
            return;
        }
        if (session.closing()) {
            return;
        }
        if (++inFlight > MAX_IN_FLIGHT_HARD) {
            session.close(ErrorCode.SLOW_CONSUMER, "slow consumer: reconnect and resume with your cursor");
            return;
        }
        checkRaw();
        if (raw == null) {
            connection.sendText(text).subscribe().with(ok -> written(1), failure -> written(1));
            return;
        }
        batch.add(RawFrames.heapFrame(text), false);
        batchedReplies++;
        // Written at once when full, or when the replies gathered would hold the events back.
        if (batch.full() || batchedReplies >= MAX_IN_FLIGHT) {
            writeBatch();
        } else if (!replyWriteScheduled) {
            // With the loop's other wake-ups (EventLoopWakeups): one task per loop, not per connection.
            replyWriteScheduled = true;
            wake(() -> {
                replyWriteScheduled = false;
                writeBatch();
            });
        }
    }

    /**
     * Writes what is gathered now, as the session closes: before its close frame, which must come after
     * the replies sent before it (unless the frame guard has already sent one).
     */
    void writeGathered() {
        if (raw != null && Thread.currentThread() == eventLoop && !refused()) {
            batch.flush(writeRaw, meter);
        }
    }

    private void written(int replies) {
        if (Thread.currentThread() != eventLoop) {
            context.runOnContext(v -> written(replies));
            return;
        }
        inFlight -= replies;
        resume();
    }

    /** Drains the subscriptions again once writes that held them back have gone out. */
    private void resume() {
        if (blocked && inFlight < MAX_IN_FLIGHT / 2 && (raw == null || raw.channel().isWritable())) {
            blocked = false;
            session.drainAll();
        }
    }
}
