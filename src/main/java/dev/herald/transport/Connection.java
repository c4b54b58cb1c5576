package dev.herald.transport;

import dev.herald.hub.SubscriberSink;
import dev.herald.hub.Subscription;

/** A subscriber connection admitted through {@link Admission}: it starts serving once its subscription is open. */
public interface Connection extends SubscriberSink {

    /** The subscription is open (replay queued, live registered); on the connection's context. */
    void start(Subscription subscription);
}
