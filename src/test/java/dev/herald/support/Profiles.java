package dev.herald.support;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * Quarkus test profiles shared by test classes whose settings do not get in each other's way: each
 * distinct profile restarts the application, so classes that can run on the same one do. Every
 * override says which test needs it; the tests measure what they check as differences (gauges and
 * counters read before and after), so classes sharing an application instance do not disturb each other.
 */
public final class Profiles {

    private Profiles() {
    }

    /**
     * Redis mode on a real redis-server ({@link RedisTestResource}, one per application instance): a
     * short command timeout (RedisJobsApiTest and RedisModePollTest stop Redis and expect answers soon)
     * and linger (RedisModeTest watches the node leave a topic at the broker), a short presence TTL (the
     * chat scenarios of RedisWebSocketChatTest watch a dead connection leave).
     */
    public static class RedisMode implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RedisTestResource.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.redis.command-timeout", "1s", "herald.subscription.linger", "1s",
                    "herald.presence.ttl", "3s");
        }
    }

    /** History of 5 events per topic (resets past it, on SSE and polls) and at most 3 held polls per node. */
    public static class ShortHistory implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.history.max-events", "5", "herald.poll.max-held", "3");
        }
    }

    /**
     * History long enough that no resume under concurrent publishing is reset, and polls answered in
     * pages of 10 events, so that pollers page through it.
     */
    public static class LongHistory implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("herald.poll.max-events", "10", "herald.history.max-events", "100000");
        }
    }
}
