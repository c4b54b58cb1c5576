package dev.herald.transport.sse;

import static dev.herald.support.HttpApi.topic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.browser.BrowserProfile;
import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A subscriber that never reads is dropped once its outbound queue (20 here) is full; others go on. */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class SlowConsumerTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    static final String ADMIN = TestTokens.admin();
    static final String SLOW = "herald_slow_consumer_disconnects_total";

    @TestHTTPResource("/")
    URI base;

    /** A subscriber that read its preamble and then stopped reading, and what was published to it. */
    private record Stalled(String initialCursor, int published) {
    }

    /**
     * Opens a raw SSE request on {@code socket}, reads the head and the preamble (to learn the initial
     * cursor), then never reads again while publishing large events until the server drops it as a slow
     * consumer (bounded: at most 2000 publishes).
     */
    private Stalled stallUntilDropped(Socket socket, String topic) throws Exception {
        double before = Metrics.value(SLOW, "transport=\"sse\"");
        // A small receive window so that the server's writes back up quickly.
        socket.setReceiveBufferSize(4096);
        socket.setSoTimeout(5000);
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET /v1/stream?topic=" + topic + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + ADMIN + "\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        Matcher preamble = PREAMBLE.matcher(head);
        while (!preamble.find()) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("stream ended before its preamble: " + head);
            }
            head.append((char) b);
            preamble = PREAMBLE.matcher(head);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
        String big = "{\"blob\":\"" + "x".repeat(60_000) + "\"}";
        int published = 0;
        boolean dropped = false;
        while (published < 2000 && !dropped) {
            HttpApi.publishOk(ADMIN, topic, "blob", big);
            published++;
            if (published % 5 == 0) {
                dropped = Metrics.value(SLOW, "transport=\"sse\"") >= before + 1;
            }
        }
        assertTrue(dropped, "the stalled subscriber was never dropped after " + published + " events");
        return new Stalled(preamble.group(1), published);
    }

    private static final Pattern PREAMBLE = Pattern.compile("retry: \\d+\n+id: ([A-Za-z0-9_-]+)\n\n");

    @Test
    void subscriberThatNeverReadsIsDisconnectedAndCountedWhileOthersKeepWorking() throws Exception {
        String topic = topic("room");
        try (Socket stalled = new Socket()) {
            stallUntilDropped(stalled, topic);
            // The server ended the stream: after what it had already buffered comes the last chunk
            // (or the connection closes). The connection itself may stay open for keep-alive.
            InputStream in = stalled.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            String tail = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!tail.endsWith("\r\n0\r\n\r\n") && System.nanoTime() < deadline) {
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                String chunk = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                tail = (tail + chunk).substring(Math.max(0, tail.length() + chunk.length() - 16));
            }
            assertTrue(tail.endsWith("\r\n0\r\n\r\n") || in.read() < 0,
                    "the server did not end the slow consumer's stream");
        }
        assertTrue(Metrics.value(SLOW, "transport=\"sse\"") >= 1);

        // The topic, the hub and the node still serve a fresh subscriber.
        try (SseClient fresh = SseClient.open(base, List.of(topic), ADMIN, null)) {
            assertEquals(200, fresh.status());
            fresh.preamble(WAIT);
            String id = HttpApi.publishOk(ADMIN, topic, "msg", "1");
            assertEquals(id, JsonPath.from(fresh.expectEvent(WAIT).data()).getString("id"));
        }
    }

    @Test
    void droppedSubscriberResumesFromItsCursorWithoutGap() throws Exception {
        String topic = topic("room");
        Stalled stalled;
        try (Socket socket = new Socket()) {
            stalled = stallUntilDropped(socket, topic);
        }
        List<String> history = HttpApi.historyIds(topic);
        assertEquals(stalled.published(), history.size());
        try (SseClient resumed = SseClient.open(base, List.of(topic), ADMIN, stalled.initialCursor())) {
            assertEquals(200, resumed.status());
            resumed.preamble(WAIT);
            for (String id : history) {
                SseClient.Frame f = resumed.expectEvent(WAIT);
                assertEquals(id, JsonPath.from(f.data()).getString("id"));
            }
        }
    }
}
