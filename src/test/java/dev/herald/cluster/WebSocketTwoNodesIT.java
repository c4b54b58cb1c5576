package dev.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HeraldNodes;
import dev.herald.support.HeraldProcess;
import dev.herald.support.JdkWsClient;
import dev.herald.support.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A chat across two real nodes (packaged jar) on one Redis, with the JDK's WebSocket client: alice on
 * node A, bob on node B, one room, direct messages, presence; then node B is killed and bob leaves.
 */
class WebSocketTwoNodesIT {

    private static final Duration PRESENCE_TTL = Duration.ofSeconds(3);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private HeraldNodes cluster;
    private HeraldProcess nodeA;
    private HeraldProcess nodeB;

    @BeforeEach
    void startCluster() throws Exception {
        cluster = HeraldNodes.start("ws-node", Map.of(
                "herald.presence.ttl", PRESENCE_TTL.toSeconds() + "s"));
        nodeA = cluster.a();
        nodeB = cluster.b();
    }

    @AfterEach
    void stopCluster() {
        cluster.close();
    }

    private static String user(String name) {
        return TestTokens.token(name, List.of("room:*"), List.of("room:*", "user:*"));
    }

    private static String data(JsonNode frame, String field) {
        return frame.path("event").path("data").path(field).asText();
    }

    @Test
    void twoUsersChatInARoomAndByDirectMessageAcrossNodesAndSeeEachOtherComeAndGo() throws Exception {
        String room = "room:it-" + UUID.randomUUID().toString().substring(0, 8);
        try (JdkWsClient alice = JdkWsClient.connect(nodeA.base(), user("alice"))) {
            assertEquals("subscribed", alice.subscribe("[\"" + room + "\"]", "\"presence\":true").get("type").asText());
            assertEquals("subscribed", alice.subscribe("[\"user:alice\"]", null).get("type").asText());
            assertEquals("alice", data(alice.awaitEvent("herald.join"), "user"));

            JdkWsClient bob = JdkWsClient.connect(nodeB.base(), user("bob"));
            assertEquals("subscribed", bob.subscribe("[\"" + room + "\"]", null).get("type").asText());
            assertEquals("subscribed", bob.subscribe("[\"user:bob\"]", null).get("type").asText());
            assertEquals("bob", data(alice.awaitEvent("herald.join"), "user"), "alice on A sees bob join on B");

            bob.send("{\"op\":\"publish\",\"topic\":\"" + room + "\",\"type\":\"chat\",\"data\":{\"text\":\"hi from B\"}}");
            awaitChat(alice, "chat", "hi from B");
            alice.send("{\"op\":\"publish\",\"topic\":\"" + room + "\",\"type\":\"chat\",\"data\":{\"text\":\"hi from A\"}}");
            awaitChat(bob, "chat", "hi from A");

            alice.send("{\"op\":\"publish\",\"topic\":\"user:bob\",\"type\":\"dm\",\"data\":{\"text\":\"psst\"}}");
            JsonNode dm = bob.awaitEvent("dm");
            assertEquals("user:bob", dm.path("event").path("topic").asText());
            assertEquals("psst", data(dm, "text"));

            JsonNode presence = presence(nodeB.base(), room);
            assertEquals(List.of("alice", "bob"), List.of(presence.get("users").get(0).asText(),
                    presence.get("users").get(1).asText()), "cluster-wide, asked on either node");
            assertEquals(2, presence.get("connections").asInt());

            bob.close();
            assertEquals("bob", data(alice.awaitEvent("herald.leave"), "user"), "a clean close leaves at once");
        }

        // Bob again on B, watched from A by a service without a user of its own (so node A has no
        // member in the room, only a watcher); then B dies without a word: bob's member expires, and
        // node A sweeps the room because someone there watches its presence.
        String monitor = TestTokens.withoutSubject("monitor", List.of("room:*"), List.of());
        try (JdkWsClient watcher = JdkWsClient.connect(nodeA.base(), monitor)) {
            assertEquals("subscribed", watcher.subscribe("[\"" + room + "\"]", "\"presence\":true").get("type").asText());
            JdkWsClient bobAgain = JdkWsClient.connect(nodeB.base(), user("bob"));
            bobAgain.subscribe("[\"" + room + "\"]", null);
            // Alice's leave (her connection closed just before) may still arrive: wait for bob's own.
            awaitPresence(watcher, "herald.join", "bob");
            long killed = System.nanoTime();
            nodeB.process().destroyForcibly().waitFor();
            awaitPresence(watcher, "herald.leave", "bob");
            long seconds = Duration.ofNanos(System.nanoTime() - killed).toSeconds();
            System.out.printf("bob left %d s after node B was killed (presence ttl %s)%n", seconds, PRESENCE_TTL);
            assertTrue(seconds <= PRESENCE_TTL.toSeconds() * 2, "left within the documented bound: " + seconds);
            assertEquals(0, presence(nodeA.base(), room).get("connections").asInt());
            bobAgain.close();
        }
    }

    private static JsonNode awaitPresence(JdkWsClient client, String type, String user) {
        return client.awaitMessage(m -> m.path("event").path("type").asText().equals(type)
                && user.equals(data(m, "user")));
    }

    /** Waits for a {@code type} event whose data.text is {@code text} (other messages stay queued). */
    private static JsonNode awaitChat(JdkWsClient client, String type, String text) {
        return client.awaitMessage(m -> m.path("event").path("type").asText().equals(type)
                && text.equals(data(m, "text")));
    }

    private JsonNode presence(URI base, String topic) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic + "/presence"))
                .header("Authorization", "Bearer " + user("observer")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return new ObjectMapper().readTree(response.body());
    }
}
