package dev.herald.hub;

import dev.herald.broker.Broker;
import dev.herald.broker.HistoryPage;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import java.util.concurrent.ConcurrentHashMap;

/**
 * History reads shared between the subscriptions that resume from the same position at the same time.
 */
final class SharedReads {

    private final Broker broker;
    private final ConcurrentHashMap<ReadKey, SharedRead> reads = new ConcurrentHashMap<>();

    SharedReads(Broker broker) {
        this.broker = broker;
    }

    private record ReadKey(Topic topic, EventId after, int limit) {
    }

    private static final class SharedRead {
        /** When the broker read was issued (System.nanoTime), 0 while it waits for the one before. */
        volatile long startedAt;
        final Shared<HistoryPage> page = new Shared<>();
        /** The read queued behind this one for subscriptions that registered after it started. */
        SharedRead next;
    }

    /**
     * Reads a page of history, sharing broker reads between the subscriptions that resume from the
     * same position at the same time. In a reconnect storm (a node restart, a network blip) every
     * client of a topic comes back with the same cursor: the benchmark's W5 on Redis sent 1,000
     * identical reads of 500 entries each, which queued past the command timeout, failed, and came
     * back with the clients' retries, again and again. Now at most two reads per position are
     * pending: the one in flight, and one queued behind it for everyone who came later.
     *
     * <p>Gap-free only if the read happens after the subscription registered for live events (events
     * published between an older read and the registration would be in neither): a read is joined
     * only if it started after {@code registeredAt}, or has not started yet.
     */
    Uni<HistoryPage> read(Topic topic, EventId after, int limit, long registeredAt) {
        ReadKey key = new ReadKey(topic, after, limit);
        SharedRead[] joined = new SharedRead[1];
        // Reads start after compute: a broker may answer at once, and the answer leaves the map.
        Runnable[] start = new Runnable[1];
        reads.compute(key, (k, current) -> {
            if (current == null) {
                SharedRead fresh = new SharedRead();
                fresh.startedAt = System.nanoTime();
                start[0] = () -> issue(k, fresh);
                joined[0] = fresh;
                return fresh;
            }
            if (current.startedAt >= registeredAt) {
                joined[0] = current;
                return current;
            }
            SharedRead next = current.next;
            if (next == null || (next.startedAt != 0 && next.startedAt < registeredAt)) {
                SharedRead queued = new SharedRead();
                start[0] = () -> current.page.whenDone(() -> {
                    queued.startedAt = System.nanoTime();
                    reads.replace(k, current, queued);
                    issue(k, queued);
                });
                current.next = queued;
                next = queued;
            }
            joined[0] = next;
            return current;
        });
        if (start[0] != null) {
            start[0].run();
        }
        return joined[0].page.uni();
    }

    private void issue(ReadKey key, SharedRead read) {
        read.page.subscribeTo(broker.read(key.topic(), key.after(), key.limit())
                .onTermination().invoke(() -> reads.remove(key, read)));
    }
}
