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

    /** What one scenario's publisher and subscribers counted; {@link #plus} sums several topics'. */
    public record Counts(long published, long accepted, long refused, long unknown, long delivered, long expected,
                         long lost, long duplicated) {

        public static final Counts NONE = new Counts(0, 0, 0, 0, 0, 0, 0, 0);

        public Counts plus(Counts o) {
            return new Counts(published + o.published, accepted + o.accepted, refused + o.refused, unknown + o.unknown,
                    delivered + o.delivered, expected + o.expected, lost + o.lost, duplicated + o.duplicated);
        }

        @Override
        public String toString() {
            return String.format("published %d, accepted %d, 503 %d, 504 %d, delivered %d (expected %d), lost %d, "
                    + "duplicated %d", published, accepted, refused, unknown, delivered, expected, lost, duplicated);
        }
    }

    /**
     * Every accepted event reached every subscriber exactly once and in order; refused ones (503, 504) may
     * or may not have been stored (the reply can be lost after the write), but never twice. Prints the counts.
     */
    public static Counts verify(String scenario, SeqPublisher publisher, List<ResumingSubscriber> subscribers,
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
        return new Counts(publisher.published(), accepted.size(), publisher.refused().size(), publisher.unknown().size(),
                delivered, (long) accepted.size() * subscribers.size(), lost, duplicated);
    }
}
