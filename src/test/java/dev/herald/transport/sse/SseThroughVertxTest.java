package dev.herald.transport.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With HTTP compression on, a compressor sits in the connection's pipeline, so streams cannot write
 * pre-encoded chunks below Vert.x (RawChunks) and write their frames through Vert.x instead: the same
 * frames, single- and multi-topic, reach the client.
 */
@QuarkusTest
@TestProfile(SseThroughVertxTest.Compression.class)
class SseThroughVertxTest {

    public static class Compression implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.enable-compression", "true");
        }
    }

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ADMIN = TestTokens.admin();

    @TestHTTPResource("/")
    URI base;

    @Test
    void singleAndMultiTopicStreamsDeliverEveryEventWithItsCursor() {
        String a = HttpApi.topic("vertx-a");
        String b = HttpApi.topic("vertx-b");
        try (SseClient single = SseClient.open(base, List.of(a), ADMIN, null);
             SseClient multi = SseClient.open(base, List.of(a, b), ADMIN, null)) {
            single.preamble(WAIT);
            multi.preamble(WAIT);
            String first = HttpApi.publishOk(ADMIN, a, "m", "1");
            String second = HttpApi.publishOk(ADMIN, b, "m", "2");
            SseClient.Frame f = single.expectEvent(WAIT);
            assertEquals("m", f.event());
            assertEquals(first, JsonPath.from(f.data()).getString("id"));
            assertEquals(first, JsonPath.from(multi.expectEvent(WAIT).data()).getString("id"));
            SseClient.Frame g = multi.expectEvent(WAIT);
            assertEquals(second, JsonPath.from(g.data()).getString("id"));
            // The cursor after both resumes the multi-topic stream with nothing to replay.
            try (SseClient resumed = SseClient.open(base, List.of(a, b), ADMIN, g.id())) {
                resumed.preamble(WAIT);
                String third = HttpApi.publishOk(ADMIN, a, "m", "3");
                assertEquals(third, JsonPath.from(resumed.expectEvent(WAIT).data()).getString("id"));
            }
        }
    }
}
