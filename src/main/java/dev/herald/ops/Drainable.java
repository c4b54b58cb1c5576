package dev.herald.ops;

import java.time.Duration;

/** A long-lived client connection that can be asked to go away (and reconnect elsewhere) at shutdown. */
public interface Drainable {

    /**
     * Tells the client to reconnect after {@code retry} (SSE: {@code herald.shutdown} + {@code retry:};
     * WebSocket: close 1001) and ends the connection. Any thread; must not block.
     */
    void goAway(Duration retry);
}
