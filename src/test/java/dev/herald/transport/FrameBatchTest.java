package dev.herald.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.metrics.HeraldMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One write per batch, the frames in order, events counted (notices not), full at the bound. */
class FrameBatchTest {

    private final List<String> writes = new ArrayList<>();
    private int counted;
    private final HeraldMetrics.DeliveryMeter meter = new HeraldMetrics.DeliveryMeter() {
        @Override
        public void delivered(int count) {
            counted += count;
        }

        @Override
        public void latency(long millis) {
        }
    };

    private void write(ByteBuf out) {
        writes.add(out.toString(StandardCharsets.UTF_8));
    }

    private static ByteBuf frame(String text) {
        return Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theFramesOfOneDrainGoOutAsOneWriteInOrder() {
        FrameBatch batch = new FrameBatch();
        assertFalse(batch.flush(this::write, meter), "an empty batch writes nothing");
        assertEquals(List.of(), writes);
        ByteBuf shared = frame("e1;");
        batch.add(shared.duplicate(), true);
        batch.add(frame("n;"), false);
        batch.add(shared.duplicate(), true);
        batch.add(frame("e2;"), true);
        assertFalse(batch.flush(this::write, meter));
        assertEquals(List.of("e1;n;e1;e2;"), writes);
        assertEquals(3, counted, "events are counted, notices are not");
        // The shared frame was only viewed.
        assertEquals(3, shared.readableBytes());
        batch.add(frame("e3;"), true);
        batch.flush(this::write, meter);
        assertEquals(List.of("e1;n;e1;e2;", "e3;"), writes, "a flushed batch starts empty");
    }

    @Test
    void aSharedDirectFrameGoesOutWholeFromEveryBatchAndIsNeverMoved() {
        ByteBuffer shared = ByteBuffer.allocateDirect(3).put("e1;".getBytes(StandardCharsets.UTF_8)).flip();
        List<ByteBuf> outs = new ArrayList<>();
        for (int connection = 0; connection < 3; connection++) {
            FrameBatch batch = new FrameBatch();
            batch.addShared(shared);
            batch.addShared(shared);
            batch.flush(outs::add, meter);
        }
        for (ByteBuf out : outs) { // read as a channel would, one after the other: each its own indices
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            assertEquals("e1;e1;", new String(bytes, StandardCharsets.UTF_8));
            out.release();
        }
        assertEquals(6, counted, "each shared frame is an event");
        assertEquals(0, shared.position());
        assertEquals(3, shared.limit());
        assertEquals("e1;", StandardCharsets.UTF_8.decode(shared.duplicate()).toString(),
                "released views free nothing");
    }

    @Test
    void aBatchIsFullAtItsBoundAndAnEndedConnectionDropsIt() {
        FrameBatch batch = new FrameBatch();
        String big = "x".repeat(1024);
        for (int i = 0; i < FrameBatch.MAX_BYTES / 1024 - 1; i++) {
            batch.add(frame(big), true);
        }
        assertFalse(batch.full());
        batch.add(frame(big), true);
        assertTrue(batch.full());
        assertTrue(batch.flush(null, meter), "still reports full, so the drain goes on");
        assertEquals(List.of(), writes);
        assertEquals(0, counted, "dropped frames are not counted as delivered");
        assertFalse(batch.full());
        assertFalse(batch.flush(this::write, meter));
    }
}
