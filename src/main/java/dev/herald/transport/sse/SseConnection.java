package dev.herald.transport.sse;

import dev.herald.event.Event;
import dev.herald.hub.DeliveryWriter;
import dev.herald.hub.Hub;
import dev.herald.hub.Notice;
import dev.herald.hub.SubscriberSink;
import dev.herald.hub.Subscription;
import dev.herald.ops.Drainable;
import dev.herald.transport.Connection;
import dev.herald.transport.ConnectionScope;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.transport.EventLoopWakeups;
import dev.herald.transport.FrameBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One open SSE stream. Everything that touches the response runs on the connection's Vert.x context;
 * the hub reaches it through {@link #wakeUp} and {@link #close}. Backpressure: deliveries are written
 * only while the response's write queue has room; the rest wait in the subscription's bounded queue,
 * and a subscription whose queue overflows is dropped as a slow consumer.
 *
 * <p>Writes are batched: the frames ready in one drain go out as one buffer (one HTTP chunk, one
 * flush, one system call) instead of one each; a subscriber that fell behind catches up in large
 * writes rather than many small ones.
 */
final class SseConnection implements Connection, DeliveryWriter, Drainable {

    static final String TRANSPORT = "sse";

    private final Context context;
    private final HttpServerResponse response;
    private final Hub hub;
    /** Place, drain registration, connection gauge and token expiry: released once, in {@link #cleanUp}. */
    private final ConnectionScope scope;
    private final HeraldMetrics.DeliveryMeter meter;
    private final long heartbeatMillis;
    private final long retryMillis;
    private final long tokenExpiresAt;
    /** Frames carry {@code event: <type>} (the default), or none, so that EventSource's onmessage sees every event. */
    private final boolean named;
    private Subscription subscription;
    private long heartbeatTimer = -1;
    private boolean started;
    private boolean ended;
    private boolean drainHandlerSet;
    private final EventLoopWakeups wakeups;
    private final HttpServerRequest request;
    /**
     * HTTP/1.0 has no chunked coding: frames never take the raw path (its writes are chunks), and the
     * body, without a length, ends with the connection ({@link #end}).
     */
    private final boolean http10;
    /** Where frames are written as ready-made chunks, below Vert.x (see {@link RawChunks}); or null. */
    private ChannelHandlerContext raw;
    private final Runnable drainTask = this::drainNow;
    /** Frames drained but not yet written (connection thread only). */
    private final FrameBatch batch = new FrameBatch();
    private final Consumer<ByteBuf> writeOut = this::writeOut;

    SseConnection(ConnectionScope scope, Context context, HttpServerResponse response, Hub hub, Duration heartbeat,
                  Duration retry, long tokenExpiresAt, boolean named, HttpServerRequest request) {
        this.scope = scope;
        this.request = request;
        this.http10 = request.version() == HttpVersion.HTTP_1_0;
        this.context = context;
        this.response = response;
        this.hub = hub;
        this.meter = scope.metrics().deliveries(TRANSPORT);
        this.heartbeatMillis = heartbeat.toMillis();
        this.retryMillis = retry.toMillis();
        this.tokenExpiresAt = tokenExpiresAt;
        this.named = named;
        this.wakeups = EventLoopWakeups.of(context);
        response.closeHandler(v -> cleanUp());
    }

    static HttpServerResponse writeHead(HttpServerResponse response) {
        return response.setStatusCode(200)
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                // nginx and other proxies would otherwise buffer the stream.
                .putHeader("X-Accel-Buffering", "no");
    }

    /**
     * Ends a stream that cannot be served now (node draining, broker unavailable) as a valid, empty
     * event stream with a {@code retry:}: EventSource treats any non-200 answer as fatal and would never
     * reconnect, while this makes it come back (to this or another node) with its Last-Event-ID intact.
     */
    static void endForRetry(HttpServerResponse response, String frame) {
        if (!response.ended() && !response.closed()) {
            writeHead(response).end(frame);
        }
    }

    /** Writes the head and the preamble, then starts delivering. On the connection's context. */
    @Override
    public void start(Subscription subscription) {
        this.subscription = subscription;
        if (ended || response.closed()) {
            cleanUp();
            return;
        }
        writeHead(response);
        response.write(named ? SseFrames.preamble(retryMillis, subscription.initialCursor())
                : SseFrames.preambleWithStart(retryMillis, subscription.initialCursor()));
        started = true;
        raw = http10 ? null : RawChunks.below(request.connection());
        scope.opened(this);
        heartbeatTimer = context.owner().setPeriodic(heartbeatMillis, id -> heartbeat());
        // The stream ends with its cursor; the client reconnects with a fresh token and resumes without loss.
        scope.expireAt(tokenExpiresAt, () -> {
            if (!ended) {
                response.write(SseFrames.tokenExpired(retryMillis, subscription.currentCursor()));
            }
            end();
        });
        drainNow();
    }

    @Override
    public void wakeUp() {
        wakeups.wake(drainTask);
    }

    private void drainNow() {
        if (!started || ended) {
            return;
        }
        do {
            subscription.drain(this);
            // A full batch stops the drain (canWrite); written, the drain goes on.
        } while (writeBatch() && !ended && writable());
        if (!ended && !writable() && !drainHandlerSet) {
            drainHandlerSet = true;
            response.drainHandler(v -> {
                drainHandlerSet = false;
                drainNow();
            });
        }
    }

    @Override
    public boolean canWrite() {
        return !ended && !batch.full() && writable();
    }

    /**
     * Whether the connection's outbound buffer has room. On the raw path the channel is asked directly:
     * Vert.x's {@code writeQueueFull} asks the same channel through the response's and the connection's
     * monitors, once per drain (~4% of the fan-out's samples in W1).
     */
    private boolean writable() {
        return raw != null ? raw.channel().isWritable() : !response.writeQueueFull();
    }

    /** Writes the gathered frames as one buffer; returns whether the batch was full. */
    private boolean writeBatch() {
        return batch.flush(ended ? null : writeOut, meter);
    }

    private void writeOut(ByteBuf frames) {
        if (raw != null) {
            raw.writeAndFlush(frames, raw.voidPromise());
        } else {
            response.write(Buffer.buffer(frames));
        }
    }

    @Override
    public void write(Event event, String cursor, boolean singleTopic, boolean replayed) {
        if (singleTopic && raw != null) {
            // A view of the event's shared, ready-made chunk in direct memory: no copy per connection.
            batch.addShared(event.encoded(named ? SseFrames.SINGLE_TOPIC_CHUNK : SseFrames.UNNAMED_SINGLE_TOPIC_CHUNK));
        } else if (singleTopic) {
            // Through Vert.x (HTTP/2, compression): the event's shared frame bytes, wrapped.
            batch.add(Unpooled.wrappedBuffer(event.encoded(named ? SseFrames.SINGLE_TOPIC_FRAME
                    : SseFrames.UNNAMED_SINGLE_TOPIC_FRAME)), true);
        } else {
            batch.add(own(SseFrames.concat(SseFrames.idLine(cursor),
                    event.encoded(named ? SseFrames.TAIL : SseFrames.UNNAMED_TAIL))), true);
        }
        if (!replayed) {
            meter.latency(System.currentTimeMillis() - event.ts());
        }
    }

    @Override
    public void write(Notice notice, String cursor) {
        batch.add(own(SseFrames.notice(notice, cursor).getBytes(StandardCharsets.UTF_8)), false);
    }

    /** A frame of this connection alone: wrapped, and chunk-framed when written below Vert.x. */
    private ByteBuf own(byte[] frame) {
        return raw != null ? RawChunks.heapChunk(frame) : Unpooled.wrappedBuffer(frame);
    }

    private void heartbeat() {
        if (!ended && !response.writeQueueFull()) {
            response.write(SseFrames.HEARTBEAT);
        }
    }

    @Override
    public void close(CloseReason reason) {
        context.runOnContext(v -> {
            if (reason == CloseReason.SLOW_CONSUMER) {
                scope.metrics().slowConsumerDropped(TRANSPORT);
            }
            if (!started && !ended) {
                // Dropped while its replay was being prepared: no head written yet. An empty 200 would
                // stop EventSource for good; a proper stream with retry: makes it resume.
                endForRetry(response, SseFrames.preamble(retryMillis, null));
            }
            end();
        });
    }

    @Override
    public void goAway(Duration retry) {
        context.runOnContext(v -> {
            if (!ended && started) {
                // The id is the position after the last event written: the client resumes from there
                // on another node; events still queued here are replayed to it from history.
                response.write(SseFrames.shutdown(retry.toMillis(), subscription.currentCursor()));
            }
            end();
        });
    }

    private void end() {
        if (!ended) {
            ended = true;
            if (!response.ended()) {
                response.end();
            }
            if (http10) {
                // The end of an HTTP/1.0 body without a length is the end of the connection, even when
                // the client asked to keep it alive (Vert.x would keep it open then).
                response.close();
            }
            cleanUp();
        }
    }

    private void cleanUp() {
        ended = true;
        started = false;
        if (heartbeatTimer >= 0) {
            context.owner().cancelTimer(heartbeatTimer);
            heartbeatTimer = -1;
        }
        if (subscription != null) {
            hub.close(subscription);
        }
        scope.close();
    }
}
