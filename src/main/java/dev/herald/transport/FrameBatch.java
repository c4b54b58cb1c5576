package dev.herald.transport;

import dev.herald.metrics.HeraldMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The frames a connection gathers (one drain's events and notices; a WebSocket's replies of one turn),
 * written as one buffer (one flush, one system call) instead of one write each. Frames are wrapped, not copied: an event's shared encoding goes out to
 * every connection from the same memory. Connection thread only.
 */
public final class FrameBatch {

    /** Bytes of frames gathered into one write at most. */
    public static final int MAX_BYTES = 32 * 1024;

    private ByteBuf[] frames = new ByteBuf[4];
    private int size;
    private int bytes;
    private int events;

    /** Adds a frame; {@code event} says whether it delivers an event (counted) or is a notice or reply. */
    public void add(ByteBuf frame, boolean event) {
        if (size == frames.length) {
            frames = Arrays.copyOf(frames, frames.length * 2);
        }
        frames[size++] = frame;
        bytes += frame.readableBytes();
        if (event) {
            events++;
        }
    }

    /**
     * Adds an event's frame that many connections share ({@code shared}, whose position and limit nobody
     * moves once it is made): the buffer added is Netty's wrapper, which keeps a slice of its own, so one
     * object per connection and no duplicate of the shared buffer besides.
     */
    public void addShared(ByteBuffer shared) {
        add(Unpooled.wrappedBuffer(shared), true);
    }

    /** Whether the batch holds its maximum: write it before adding more. */
    public boolean full() {
        return bytes >= MAX_BYTES;
    }

    /**
     * Writes the frames gathered as one buffer through {@code write} and counts their events on
     * {@code meter}; with {@code write} null (the connection has ended) they are dropped. Empties the
     * batch; returns whether it was full (the drain that filled it goes on).
     */
    public boolean flush(Consumer<ByteBuf> write, HeraldMetrics.DeliveryMeter meter) {
        if (size == 0) {
            return false;
        }
        boolean wasFull = full();
        int count = events;
        ByteBuf out = take();
        if (write != null) {
            write.accept(out);
            meter.delivered(count);
        }
        return wasFull;
    }

    /** The frames gathered as one buffer (a composite view when several), and an empty batch again. */
    private ByteBuf take() {
        ByteBuf out = size == 1 ? frames[0] : Unpooled.wrappedBuffer(size, Arrays.copyOf(frames, size));
        Arrays.fill(frames, 0, size, null);
        size = 0;
        bytes = 0;
        events = 0;
        return out;
    }
}
