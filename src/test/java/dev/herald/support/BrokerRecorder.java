package dev.herald.support;

import dev.herald.broker.BrokerListener;
import dev.herald.event.Event;
import dev.herald.event.Topic;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A broker listener that records the events it is given and the topics whose history was lost. */
public record BrokerRecorder(List<Event> events, List<Topic> lost) implements BrokerListener {

    public BrokerRecorder() {
        this(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    }

    @Override
    public void onEvent(Event event) {
        events.add(event);
    }

    @Override
    public void onHistoryLost(Topic topic) {
        lost.add(topic);
    }
}
