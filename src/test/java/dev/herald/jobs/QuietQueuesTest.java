package dev.herald.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code herald.jobs.quiet-queues}: which queues it names, and a bad pattern refused at startup. */
class QuietQueuesTest {

    @Test
    void namesExactQueuesAndPrefixes() {
        QuietQueues quiet = QuietQueues.of(List.of("thumbnails", " import:* "));
        assertTrue(quiet.contains(QueueName.of("thumbnails")));
        assertTrue(quiet.contains(QueueName.of("import:csv")));
        assertFalse(quiet.contains(QueueName.of("thumbnails2")));
        assertFalse(quiet.contains(QueueName.of("import")));
        assertFalse(QuietQueues.NONE.contains(QueueName.of("thumbnails")));
        assertTrue(QuietQueues.of(List.of("*")).contains(QueueName.of("anything")));
    }

    @Test
    void aBadPatternIsAStartupErrorNamingTheSetting() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> QuietQueues.of(List.of("ok", "a*b")));
        assertTrue(e.getMessage().startsWith("herald.jobs.quiet-queues: invalid topic pattern 'a*b'"), e.getMessage());
    }
}
