package dev.herald.broker;

import dev.herald.event.Event;
import dev.herald.event.EventId;
import java.util.List;

/**
 * A page of a topic's history.
 *
 * @param events    retained events after the requested position, oldest first
 * @param truncated true when some events after the requested position are no longer retained
 *                  (trimmed by count or age, evicted, or lost with a restarted in-memory broker): a
 *                  subscriber resuming from that position must get a {@code herald.reset}
 * @param head      the id of the newest event of the topic (ZERO when none was ever stored)
 */
public record HistoryPage(List<Event> events, boolean truncated, EventId head) {

    public HistoryPage {
        events = List.copyOf(events);
    }
}
