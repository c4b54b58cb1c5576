package dev.herald.support;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The fault tests' verdict on what a {@link SeqPublisher} published and {@link ResumingSubscriber}s received. */
public final class Deliveries {

    private Deliveries() {
    }

    /**
     * Every accepted event reached every subscriber exactly once and in order; refused ones (503, 504) may
     * or may not have been stored (the reply can be lost after the write), but never twice. Prints the counts.
     */
    public static void verify(String scenario, SeqPublisher publisher, List<ResumingSubscriber> subscribers,
                              Set<Long> refused) {
        Set<Long> accepted = publisher.accepted();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                subscribers.stream().allMatch(s -> new HashSet<>(s.seqs()).containsAll(accepted)));
        long delivered = 0;
        long duplicated = 0;
        long lost = 0;
        for (ResumingSubscriber s : subscribers) {
            List<Long> seqs = s.seqs();
            delivered += seqs.size();
            Set<Long> seen = new HashSet<>();
            long previous = -1;
            for (long seq : seqs) {
                if (!seen.add(seq)) {
                    duplicated++;
                }
                assertTrue(seq > previous, s.name() + ": out of order at " + seq);
                assertTrue(accepted.contains(seq) || refused.contains(seq), s.name() + ": unknown event " + seq);
                previous = seq;
            }
            for (long seq : accepted) {
                if (!seen.contains(seq)) {
                    lost++;
                }
            }
            assertTrue(s.notices().stream().noneMatch(n -> n.startsWith("herald.reset")), s.name() + " got a reset");
        }
        System.out.printf("%s: published %d (%.0f/s), accepted %d, refused %d, outcome unknown %d, subscribers %d, delivered %d"
                        + " (expected %d), lost %d, duplicated %d, reconnects %d%n", scenario, publisher.published(),
                publisher.rate(), accepted.size(), publisher.refused().size(), publisher.unknown().size(), subscribers.size(), delivered,
                (long) accepted.size() * subscribers.size(), lost, duplicated,
                subscribers.stream().mapToInt(s -> s.connections() - 1).sum());
        assertEquals(0, lost, "lost events");
        assertEquals(0, duplicated, "duplicated events");
    }
}
