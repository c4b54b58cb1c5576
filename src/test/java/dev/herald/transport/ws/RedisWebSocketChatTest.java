package dev.herald.transport.ws;

import dev.herald.support.Profiles;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The chat scenarios with presence and fan-out through a real Redis. */
@QuarkusTest
@TestProfile(Profiles.RedisMode.class)
class RedisWebSocketChatTest extends WebSocketChatTest {
}
