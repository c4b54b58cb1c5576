package dev.herald.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HeraldNodes;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The admin stream of one node lists the other nodes it sees through Redis, with their draining state:
 * two packaged nodes on one Redis; node B is sent SIGTERM and drains for a few seconds.
 */
class AdminNodesIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aNodeSeesTheOtherThroughTheBrokerAndWatchesItDrainAndLeave() throws Exception {
        try (HeraldNodes nodes = HeraldNodes.start("admin", Map.of("herald.shutdown.drain-delay", "4s",
                "herald.presence.ttl", "6s"));
             SseClient stream = SseClient.request(nodes.a().base(), List.of()).path("/admin/stream")
                     .token(TestTokens.operator()).open()) {
            assertEquals(200, stream.status(), stream.errorBody());
            AtomicReference<JsonNode> last = new AtomicReference<>();
            String a = awaitSnapshot(stream, last, s -> s.path("nodes").size() == 2).path("self").path("instance").asText();
            JsonNode b = other(last.get(), a);
            assertNotNull(b, "node B is listed: " + last.get());
            String bInstance = b.path("instance").asText();
            assertEquals(false, b.path("draining").asBoolean());

            nodes.b().process().destroy(); // SIGTERM: B turns draining for herald.shutdown.drain-delay
            awaitSnapshot(stream, last, s -> {
                JsonNode other = other(s, a);
                return other != null && other.path("instance").asText().equals(bInstance) && other.path("draining").asBoolean();
            });
            // Once gone, B withdraws its announcement (or it expires after herald.presence.ttl).
            awaitSnapshot(stream, last, s -> s.path("nodes").size() == 1);
            assertEquals(a, last.get().path("nodes").get(0).path("instance").asText());
        }
    }

    private static JsonNode other(JsonNode snapshot, String self) {
        for (JsonNode node : snapshot.path("nodes")) {
            if (!node.path("instance").asText().equals(self)) {
                return node;
            }
        }
        return null;
    }

    private static JsonNode awaitSnapshot(SseClient stream, AtomicReference<JsonNode> last,
                                          java.util.function.Predicate<JsonNode> condition) {
        await().atMost(WAIT).until(() -> {
            SseClient.Frame frame = stream.nextEvent(Duration.ofSeconds(5));
            if (frame == null) {
                return false;
            }
            JsonNode snapshot = JSON.readTree(frame.data());
            last.set(snapshot);
            return condition.test(snapshot);
        });
        return last.get();
    }
}
