package dev.herald.transport.ws;

import dev.herald.support.RedisTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;

/** The chat scenarios with presence and fan-out through a real Redis. */
@QuarkusTest
@TestProfile(RedisWebSocketChatTest.RedisMode.class)
class RedisWebSocketChatTest extends WebSocketChatTest {

    public static class RedisMode implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RedisTestResource.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.presence.ttl", "3s");
        }
    }
}
