package dev.herald.browser;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * One profile for every browser test, so that Quarkus starts once for all of them: outbound queues of
 * 20 events, so that a page that stops reading is dropped as a slow consumer after a short burst, and
 * a WebSocket idle timeout longer than such a pause, so that the drop is the slow-consumer one; and at
 * most 2 polls held at once, so that a test can fill the node and make it refuse a page's poll (503).
 * The slow-consumer tests of the transports (SlowConsumerTest, WebSocketSlowConsumerTest) run on it
 * too, for its small queues: their stalled clients are dropped well within the idle timeout.
 */
public class BrowserProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("herald.subscriber.queue-size", "20", "herald.ws.idle-timeout", "60s",
                "herald.poll.max-held", "2");
    }
}
