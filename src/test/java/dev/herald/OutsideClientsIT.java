package dev.herald;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.BlackholeProxy;
import dev.herald.support.HeraldProcess;
import dev.herald.support.NodeApi;
import dev.herald.support.NodeScript;
import dev.herald.support.TestTokens;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar against clients nobody on the project wrote: npm {@code eventsource} (SSE) and npm
 * {@code ws} (WebSocket), run by Node from {@code src/test/node} (pinned in its package-lock.json). Our
 * own Java clients agree with our own server by construction; these read the wire as the rest of the
 * world does. A resume is tested across a connection the network drops (a loopback proxy between the
 * client and the node is cut, then healed), with events published while the client is away.
 *
 * <p>Skipped, with the reason printed, where {@code node} or the installed clients are missing:
 * {@code npm ci --prefix src/test/node} installs them ({@code .ci/run} does).
 */
class OutsideClientsIT {

    private static final int MAX_MESSAGE_BYTES = 16384;
    private static final Duration STEP = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String unavailable;
    private static HeraldProcess herald;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String token = TestTokens.admin();

    @BeforeAll
    static void startHerald() throws Exception {
        unavailable = NodeScript.unavailable();
        if (unavailable != null) {
            System.out.println("OutsideClientsIT skipped: " + unavailable);
            return;
        }
        herald = HeraldProcess.start("outside-clients", Map.of(
                "herald.sse.retry", "300ms",
                "herald.ws.max-message-bytes", String.valueOf(MAX_MESSAGE_BYTES)));
    }

    /** Each test, rather than the class, is skipped: reports then count the tests that did not run. */
    @BeforeEach
    void requireNode() {
        assumeTrue(unavailable == null, unavailable);
    }

    @AfterAll
    static void stopHerald() {
        if (herald != null) {
            herald.close();
        }
    }

    @Test
    void eventsourceResumesAcrossADroppedConnectionWithEveryEventOnceInOrder() throws Exception {
        String topic = "outside:" + UUID.randomUUID();
        List<String> published = new ArrayList<>();
        try (BlackholeProxy proxy = BlackholeProxy.to(herald.base().getPort());
             NodeScript sse = NodeScript.run("sse-resume.mjs", Map.of("HERALD_TOKEN", token),
                     "http://127.0.0.1:" + proxy.port() + "/v1/stream?topic=" + topic, "9")) {
            sse.await("open", STEP);
            publish(topic, 1, 3, published);
            JsonNode third = awaitEvents(sse, 3);

            proxy.cut();
            sse.await("error", STEP);
            sse.await("connect", STEP); // eventsource tries again and finds the path still down
            sse.await("error", STEP);
            publish(topic, 4, 6, published); // while the client is away: must come from history
            proxy.heal();
            sse.await("open", STEP);
            publish(topic, 7, 9, published);

            sse.await("done", STEP);
            assertEquals(0, sse.exitCode(STEP), sse.transcript());
            System.out.printf("eventsource: %d events, %d connection attempts%n", ids(sse).size(),
                    sse.lines("connect").size());
            List<JsonNode> connects = sse.lines("connect");
            assertAll(
                    () -> assertEquals(published, ids(sse), "events received, in order, once\n" + sse.transcript()),
                    () -> assertEquals(seqs(9), seqs(sse), sse.transcript()),
                    () -> assertTrue(connects.size() >= 3, "no reconnect through the outage\n" + sse.transcript()),
                    () -> assertTrue(connects.getFirst().path("lastEventId").isNull(), sse.transcript()),
                    // Every attempt after the drop, the successful one included, resumes after the third event.
                    () -> connects.subList(1, connects.size()).forEach(connect -> assertEquals(
                            third.path("cursor").asText(), connect.path("lastEventId").asText(), sse.transcript())),
                    () -> assertEquals(List.of(), sse.lines("notice"), "a resume without loss announces nothing"));
        }
    }

    @Test
    void wsResumesWithItsCursorAcrossADroppedConnectionWithEveryEventOnceInOrder() throws Exception {
        String topic = "outside:" + UUID.randomUUID();
        List<String> published = new ArrayList<>();
        try (BlackholeProxy proxy = BlackholeProxy.to(herald.base().getPort());
             NodeScript ws = NodeScript.run("ws-resume.mjs", Map.of("HERALD_TOKEN", token),
                     "ws://127.0.0.1:" + proxy.port() + "/v1/ws", topic, "9")) {
            ws.await("subscribed", STEP);
            publish(topic, 1, 3, published);
            JsonNode third = awaitEvents(ws, 3);

            proxy.cut();
            JsonNode closed = ws.await("closed", STEP);
            ws.await("closed", STEP); // the script tries again and finds the path still down
            publish(topic, 4, 6, published); // while the client is away: must come from history
            proxy.heal();
            ws.await("subscribed", STEP);
            publish(topic, 7, 9, published);

            ws.await("done", STEP);
            assertEquals(0, ws.exitCode(STEP), ws.transcript());
            System.out.printf("ws: %d events, %d subscriptions, %d closes%n", ids(ws).size(),
                    ws.lines("subscribe").size(), ws.lines("closed").size());
            List<JsonNode> subscribes = ws.lines("subscribe");
            assertAll(
                    () -> assertEquals(1006, closed.path("code").asInt(), "a drop, not a close by the server"),
                    () -> assertEquals(published, ids(ws), "events received, in order, once\n" + ws.transcript()),
                    () -> assertEquals(seqs(9), seqs(ws), ws.transcript()),
                    () -> assertEquals(2, subscribes.size(), "one subscription, one resubscription\n" + ws.transcript()),
                    () -> assertTrue(subscribes.getFirst().path("cursor").isNull(), ws.transcript()),
                    () -> assertEquals(third.path("cursor").asText(), subscribes.getLast().path("cursor").asText(),
                            "the resubscription resumes after the third event\n" + ws.transcript()),
                    () -> assertEquals(List.of(), ws.lines("notice"), "a resume without loss announces nothing"));
        }
    }

    @Test
    void wsClientReadsTheCloseCodeOfAnOversizedFrameInvalidUtf8AndABadToken() throws Exception {
        try (NodeScript ws = NodeScript.run("ws-close-codes.mjs",
                Map.of("HERALD_TOKEN", token, "HERALD_BAD_TOKEN", TestTokens.foreignKey("mallory")),
                "ws://127.0.0.1:" + herald.base().getPort() + "/v1/ws", String.valueOf(MAX_MESSAGE_BYTES))) {
            ws.await("done", Duration.ofSeconds(25));
            assertEquals(0, ws.exitCode(STEP), ws.transcript());
            Map<String, JsonNode> cases = ws.lines("closed").stream()
                    .collect(Collectors.toMap(line -> line.path("case").asText(), Function.identity()));
            String transcript = ws.transcript();
            assertAll(
                    // One text frame over the limit gets the close frame, not a bare FIN (1006).
                    () -> assertSentOneTextFrame(cases.get("too-big"), MAX_MESSAGE_BYTES, transcript),
                    () -> assertCode(1009, cases.get("too-big"), transcript),
                    () -> assertSentOneTextFrame(cases.get("too-big-auth"), MAX_MESSAGE_BYTES, transcript),
                    () -> assertCode(1009, cases.get("too-big-auth"), transcript),
                    () -> assertSentOneTextFrame(cases.get("invalid-utf8"), 0, transcript),
                    () -> assertTrue(cases.get("invalid-utf8").path("sent").path("payloadHex").asText().contains("fffe"),
                            "the text frame carried the bytes FF FE\n" + transcript),
                    () -> assertCode(1007, cases.get("invalid-utf8"), transcript),
                    () -> assertCode(4001, cases.get("bad-token"), transcript),
                    () -> assertCode(4001, cases.get("bad-token-auth"), transcript));
        }
    }

    private static void assertCode(int expected, JsonNode report, String transcript) {
        assertTrue(report != null, "no report\n" + transcript);
        assertEquals(expected, report.path("code").asInt(), transcript);
    }

    /** The client put one unfragmented text frame (FIN, opcode 1) longer than {@code over} bytes on the wire. */
    private static void assertSentOneTextFrame(JsonNode report, int over, String transcript) {
        assertTrue(report != null && report.path("opened").asBoolean(), "did not open\n" + transcript);
        JsonNode sent = report.path("sent");
        assertAll(
                () -> assertTrue(sent.path("fin").asBoolean(), "fragmented\n" + transcript),
                () -> assertEquals(1, sent.path("opcode").asInt(), "not a text frame\n" + transcript),
                () -> assertTrue(sent.path("length").asInt() > over, "not over the limit\n" + transcript));
    }

    /** Waits for the next {@code n} event lines and returns the last. */
    private static JsonNode awaitEvents(NodeScript script, int n) throws InterruptedException {
        JsonNode last = null;
        for (int i = 0; i < n; i++) {
            last = script.await("event", STEP);
        }
        return last;
    }

    private static List<String> ids(NodeScript script) {
        return script.lines("event").stream().map(line -> line.path("event").path("id").asText()).toList();
    }

    private static List<Integer> seqs(NodeScript script) {
        return script.lines("event").stream().map(line -> line.path("event").path("data").path("seq").asInt()).toList();
    }

    private static List<Integer> seqs(int n) {
        return IntStream.rangeClosed(1, n).boxed().toList();
    }

    /** Publishes {@code {"seq":from}} … {@code {"seq":to}} as {@code tick} events, straight to the node. */
    private void publish(String topic, int from, int to, List<String> ids) throws Exception {
        for (int seq = from; seq <= to; seq++) {
            HttpResponse<String> response = NodeApi.publish(http, herald.base(), token, topic,
                    NodeApi.seqEvent("tick", seq), Duration.ofSeconds(5));
            assertEquals(202, response.statusCode(), response.body());
            ids.add(JSON.readTree(response.body()).path("id").asText());
        }
    }
}
