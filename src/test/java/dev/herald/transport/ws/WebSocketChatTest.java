package dev.herald.transport.ws;

import static dev.herald.support.HttpApi.topic;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.support.RawWebSocket;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The scenarios of a chat app over the WebSocket: rooms, direct messages, presence. Runs on the memory
 * broker here and on Redis in {@link RedisWebSocketChatTest}.
 */
@QuarkusTest
class WebSocketChatTest {

    @TestHTTPResource("/")
    URI base;

    static String user(String name) {
        return TestTokens.token(name, List.of("room:*"), List.of("room:*", "user:*"));
    }

    private WsClient connect(String name) {
        return WsClient.to(base).bearer(user(name)).connect();
    }

    private static JsonNode awaitEvent(WsClient ws, String type) {
        return ws.awaitMessage(m -> m.path("type").asText().equals("event")
                && m.path("event").path("type").asText().equals(type));
    }

    private static String chat(WsClient ws, String room, String text) {
        ws.send("{\"op\":\"publish\",\"topic\":\"" + room + "\",\"type\":\"chat\",\"data\":{\"text\":\"" + text + "\"}}");
        return ws.awaitMessage(m -> m.path("type").asText().equals("ack")).get("id").asText();
    }

    @Test
    void aRoomMessageReachesEveryMember() {
        String room = topic("room");
        try (WsClient alice = connect("alice"); WsClient bob = connect("bob")) {
            alice.subscribe("[\"" + room + "\"]", null);
            bob.subscribe("[\"" + room + "\"]", null);
            String id = chat(alice, room, "hello bob");
            assertEquals(id, awaitEvent(bob, "chat").path("event").path("id").asText());
            assertEquals(id, awaitEvent(alice, "chat").path("event").path("id").asText(), "the sender's own copy");
            chat(bob, room, "hi alice");
            assertEquals("hi alice", awaitEvent(alice, "chat").path("event").path("data").path("text").asText());
        }
    }

    @Test
    void aDirectMessageReachesEveryConnectionOfItsUserAndNobodyElse() {
        String alice = "alice-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        try (WsClient phone = connect(alice); WsClient laptop = connect(alice); WsClient bob = connect("bob")) {
            phone.subscribe("[\"user:" + alice + "\"]", null);
            laptop.subscribe("[\"user:" + alice + "\"]", null);
            bob.subscribe("[\"user:bob\"]", null);
            bob.send("{\"op\":\"subscribe\",\"topics\":[\"user:" + alice + "\"]}");
            assertEquals("forbidden", bob.expect("error").get("code").asText(), "bob cannot read alice's messages");
            chat(bob, "user:" + alice, "psst");
            assertEquals("psst", awaitEvent(phone, "chat").path("event").path("data").path("text").asText());
            assertEquals("psst", awaitEvent(laptop, "chat").path("event").path("data").path("text").asText());
            assertNull(bob.poll(Duration.ofMillis(500)), "bob got nothing but his ack");
        }
    }

    @Test
    void presenceAnnouncesUsersJoiningAndLeavingOncePerUser() {
        String room = topic("room");
        try (WsClient alice = connect("alice")) {
            alice.subscribe("[\"" + room + "\"]", "\"presence\":true");
            assertEquals("alice", awaitEvent(alice, "herald.join").path("event").path("data").path("user").asText());
            WsClient bob1 = connect("bob");
            bob1.subscribe("[\"" + room + "\"]", null);
            JsonNode join = awaitEvent(alice, "herald.join");
            assertEquals("bob", join.path("event").path("data").path("user").asText());
            assertEquals(room, join.path("event").path("topic").asText());
            assertTrue(join.path("cursor").isMissingNode(), "presence does not move the cursor");
            WsClient bob2 = connect("bob");
            bob2.subscribe("[\"" + room + "\"]", null);

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                JsonPath presence = presence(room);
                assertEquals(3, presence.getInt("connections"));
                assertEquals(List.of("alice", "bob"), presence.getList("users"));
            });
            bob1.close();
            assertNull(alice.poll(Duration.ofMillis(500)), "bob is still there on another connection");
            bob2.close();
            assertEquals("bob", awaitEvent(alice, "herald.leave").path("event").path("data").path("user").asText());
            await().atMost(Duration.ofSeconds(5)).until(() -> presence(room).getList("users").equals(List.of("alice")));
        }
    }

    @Test
    void aConnectionThatDiesSilentlyLeavesAfterThePingTimeout() {
        String room = topic("room");
        try (WsClient alice = connect("alice")) {
            alice.subscribe("[\"" + room + "\"]", "\"presence\":true");
            awaitEvent(alice, "herald.join");
            // Bob's client goes silent without a close frame or a reset (a laptop lid closed, a dead
            // NAT mapping): nothing but the server's unanswered pings can tell.
            RawWebSocket bob = RawWebSocket.connect(base, Map.of("Authorization", "Bearer " + user("bob")), 0);
            bob.sendText("{\"op\":\"subscribe\",\"topics\":[\"" + room + "\"]}");
            assertEquals("bob", awaitEvent(alice, "herald.join").path("event").path("data").path("user").asText());
            JsonNode leave = alice.awaitMessage(m -> m.path("event").path("type").asText().equals("herald.leave"));
            assertEquals("bob", leave.path("event").path("data").path("user").asText());
            assertEquals(4408, bob.awaitCloseCode(), "closed for idleness");
            bob.close();
        }
    }

    @Test
    void presenceNeedsTheRightToSubscribe() {
        given().get("/v1/topics/{t}/presence", "room:secret").then().statusCode(401);
        given().header("Authorization", "Bearer " + TestTokens.token("x", List.of("other:*"), List.of()))
                .get("/v1/topics/{t}/presence", "room:secret").then().statusCode(403);
        given().header("Authorization", "Bearer " + user("x"))
                .get("/v1/topics/{t}/presence", "bad topic").then().statusCode(400);
    }

    private static JsonPath presence(String room) {
        return given().header("Authorization", "Bearer " + user("observer"))
                .get("/v1/topics/{t}/presence", room).then().statusCode(200).extract().jsonPath();
    }
}
