package dev.herald.broker.redis;

import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import dev.herald.event.TraceParent;
import org.jboss.logging.Logger;

/**
 * What a topic's live channel carries (written by publish.lua and presence.lua): an event as
 * {@code <id>\n<type>\n<data>}, a traced event as {@code ^<traceparent>\n<id>\n<type>\n<data>}, or a
 * presence notice as {@code ~\n<type>\n<data>}. Type and data never contain a line break (types are
 * validated, data is JSON on one line). A node older than traced events cannot read the traced form:
 * turn tracing on once every node runs a version that reads it.
 */
final class LivePayload {

    private static final Logger LOG = Logger.getLogger(LivePayload.class);
    private static final String PRESENCE_PREFIX = "~\n";
    private static final String TRACED_PREFIX = "^";

    /** A presence notice: not an event, never held or filled. */
    record Presence(String type, String data) {
    }

    private LivePayload() {
    }

    /** The presence notice in {@code payload}, or null when it is an event. */
    static Presence presence(String payload) {
        if (!payload.startsWith(PRESENCE_PREFIX)) {
            return null;
        }
        int second = payload.indexOf('\n', PRESENCE_PREFIX.length());
        return second < 0 ? new Presence("", "")
                : new Presence(payload.substring(PRESENCE_PREFIX.length(), second), payload.substring(second + 1));
    }

    /** The event in {@code payload}, or null (logged) when it is malformed. */
    static Event event(Topic topic, String payload) {
        String trace = null;
        int start = 0;
        if (payload.startsWith(TRACED_PREFIX)) {
            start = TRACED_PREFIX.length() + TraceParent.LENGTH + 1;
            if (payload.length() < start || payload.charAt(start - 1) != '\n') {
                LOG.warnf("ignoring a malformed live message on %s", topic);
                return null;
            }
            trace = payload.substring(TRACED_PREFIX.length(), start - 1);
        }
        int first = payload.indexOf('\n', start);
        int second = first < 0 ? -1 : payload.indexOf('\n', first + 1);
        if (second < 0) {
            LOG.warnf("ignoring a malformed live message on %s", topic);
            return null;
        }
        EventId id = EventId.parse(payload.substring(start, first));
        return new Event(id, topic, payload.substring(first + 1, second), payload.substring(second + 1), id.millis(),
                trace);
    }
}
