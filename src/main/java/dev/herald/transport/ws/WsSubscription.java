package dev.herald.transport.ws;

import dev.herald.event.Event;
import dev.herald.event.Topic;
import dev.herald.hub.DeliveryWriter;
import dev.herald.hub.Notice;
import dev.herald.hub.SubscriberSink;
import dev.herald.hub.Subscription;
import java.util.List;

/** One {@code subscribe} of a WebSocket connection: the hub's sink and the writer of its event frames. */
final class WsSubscription implements SubscriberSink, DeliveryWriter {

    final List<Topic> topics;
    final boolean wantsPresence;
    private final WsSession session;
    private final String requestedCursor;
    /** Set once the hub opened it (connection thread). */
    Subscription subscription;
    boolean cancelled;
    private final Runnable drainTask = this::drain;

    WsSubscription(WsSession session, List<Topic> topics, String requestedCursor, boolean wantsPresence) {
        this.session = session;
        this.topics = List.copyOf(topics);
        this.requestedCursor = requestedCursor;
        this.wantsPresence = wantsPresence;
    }

    void start(Subscription opened) {
        this.subscription = opened;
        drain();
    }

    /** The position to resume from: after the last frame written, or the requested one while opening. */
    String position() {
        return subscription != null ? subscription.currentCursor() : requestedCursor;
    }

    /** Whether everything queued has been written (or it is still opening, with nothing queued yet). */
    boolean drained() {
        return subscription == null || subscription.drained();
    }

    void drain() {
        if (subscription != null && !cancelled && !session.closing()) {
            session.out.drain(subscription, this);
        }
    }

    @Override
    public void wakeUp() {
        session.out.wake(drainTask);
    }

    @Override
    public void close(CloseReason reason) {
        session.onContext(() -> {
            if (!cancelled) {
                session.dropped(reason);
            }
        });
    }

    @Override
    public boolean canWrite() {
        return session.out.canWriteEvents();
    }

    @Override
    public void write(Event event, String cursor, boolean singleTopic, boolean replayed) {
        session.out.writeEvent(event, cursor, singleTopic, replayed);
    }

    @Override
    public void write(Notice notice, String cursor) {
        session.out.writeNotice(WsFrames.notice(notice, cursor));
    }
}
