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
 * What a WebSocket connection writes, on its event loop. Event frames are written below Vert.x where
 * the pipeline allows ({@link RawFrames}), the frames one drain gathers as one write; replies and
 * control frames go through WebSockets Next, in call order with them.
 *
 * <p>Backpressure: WebSockets Next writes without a bound, so event frames are written only while the
 * channel is writable and fewer than {@link #MAX_IN_FLIGHT} replies are unflushed; the rest wait in the
 * subscriptions' bounded queues, and a subscription whose queue overflows closes the connection with
 * 4008. A client that sends but never reads is cut off at {@link #MAX_IN_FLIGHT_HARD} unflushed replies.
 */
final class WsOutbound {

    /** Replies written but not yet flushed to the socket before the subscriptions wait. */
    static final int MAX_IN_FLIGHT = 64;
    /** Replies too: a client that sends but never reads is cut off here. */
    private static final int MAX_IN_FLIGHT_HARD = 1024;

    private final WsSession session;
    private final WebSocketConnection connection;
    private final Context context;
    private final Thread eventLoop;
    private final EventLoopWakeups wakeups;
    private final HeraldMetrics.DeliveryMeter meter;
    /** Event frames drained but not yet written (raw path only). */
    private final FrameBatch batch = new FrameBatch();
    /** Where event frames are written as ready-made frames, below Vert.x; null: through Vert.x. */
    private ChannelHandlerContext raw;
    private final Consumer<ByteBuf> writeRaw = frames -> raw.writeAndFlush(frames, raw.voidPromise());
    private boolean rawChecked;
    private boolean blocked;
    private int inFlight;

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
        if (!rawChecked) {
            rawChecked = true;
            raw = RawFrames.below(connection.userData().get(UpgradeCheck.CHANNEL));
            if (raw != null) {
                RawFrames.onWritable(raw, this::resume);
            }
        }
        do {
            subscription.drain(writer);
            // A full batch stops the drain (canWriteEvents); written, the drain goes on.
        } while (writeBatch() && canWriteEvents());
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

    /** Writes the gathered frames as one buffer; returns whether the batch was full. */
    private boolean writeBatch() {
        return batch.flush(session.closing() ? null : writeRaw, meter);
    }

    /** A reply or notice through WebSockets Next, counted until it is flushed. */
    void send(String text) {
        if (session.closing()) {
            return;
        }
        if (++inFlight > MAX_IN_FLIGHT_HARD) {
            session.close(ErrorCode.SLOW_CONSUMER, "slow consumer: reconnect and resume with your cursor");
            return;
        }
        connection.sendText(text).subscribe().with(ok -> written(), failure -> written());
    }

    private void written() {
        if (Thread.currentThread() != eventLoop) {
            context.runOnContext(v -> written());
            return;
        }
        inFlight--;
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
