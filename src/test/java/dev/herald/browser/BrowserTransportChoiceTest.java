package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 'auto' leaves the WebSocket only for a transport that is blocked while the server is up, not during an
 * outage, and comes back to it once it opens again, with every event once, in order.
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserTransportChoiceTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();

    @AfterEach
    void online() {
        offline(false);
    }

    /** Chromium's network emulation: offline, every request and WebSocket of the page fails at once. */
    private void offline(boolean offline) {
        chromium.driver().executeCdpCommand("Network.enable", Map.of());
        chromium.driver().executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", offline,
                "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
    }

    /**
     * Nothing answers while the page starts (as in an outage or a restart): the WebSocket keeps failing
     * to open, but so does everything else, so it is not given up; once the server answers, 'auto' opens
     * it.
     */
    @Test
    void anOutageAtPageLoadDoesNotMoveAutoOffTheWebSocket() {
        String topic = HttpApi.topic("public");
        HarnessPage page = harness();
        offline(true);
        page.run("""
                window.got = [];
                window.client = new lib.Herald({ transport: 'auto', backoff: { base: 200, cap: 400 } });
                client.subscribe([arguments[0]], { onEvent: e => got.push(e.id) });
                """, topic);
        // With fallbackAfter 2, two failed opens used to be enough to move on (and then off SSE too).
        page.await("net.wsCreated >= 5 || client.transport !== 'ws'", "the WebSocket was not retried");
        assertEquals("ws", page.eval("client.transport"), "an outage moved 'auto' off the WebSocket");

        offline(false);
        page.await("client.status.state === 'open'", "the WebSocket did not open once the server answered");
        assertEquals("ws", page.eval("client.transport"));
        String id = HttpApi.publishOk(ADMIN, topic, "message", "1");
        page.await("got.length === 1", "no event after the outage");
        assertEquals(List.of(id), page.eval("got"));
        page.run("client.close();");
    }

    /**
     * The WebSocket (and for 'poll' the event stream too) is blocked on the way while the server answers:
     * 'auto' falls back. Once the WebSocket opens again, 'auto' tries it (upgradeAfter) and moves back;
     * events published before, during and after the move reach the app once each, in order.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sse", "poll"})
    void afterAFallbackAutoMovesBackToTheWebSocketWithEveryEventOnceInOrder(String fallback) {
        String topic = HttpApi.topic("public");
        HarnessPage page = harness();
        page.run("net.blockWs = true; net.blockStream = arguments[0] === 'poll';", fallback);
        page.run("""
                window.got = [];
                window.statuses = [];
                window.client = new lib.Herald({ transport: 'auto', upgradeAfter: 1000, backoff: { base: 100, cap: 500 } });
                client.onStatus(s => statuses.push(s));
                client.subscribe([arguments[0]], { onEvent: e => got.push(e.id) });
                """, topic);
        page.await("client.transport === arguments[0] && client.status.state === 'open'",
                "'auto' did not fall back to " + fallback, fallback);
        List<String> ids = new ArrayList<>();
        ids.add(HttpApi.publishOk(ADMIN, topic, "message", "0"));
        page.await("got.length === 1", "no event after the fallback");

        page.run("net.blockWs = false; net.blockStream = false;");
        // Events keep coming while herald.js tries the WebSocket and moves (bounded: about 1 s of them).
        for (int n = 1; n <= 300 && !"ws".equals(page.eval("client.transport")); n++) {
            ids.add(HttpApi.publishOk(ADMIN, topic, "message", String.valueOf(n)));
        }
        page.await("client.transport === 'ws' && client.status.state === 'open'", "'auto' did not move back to the WebSocket");
        ids.add(HttpApi.publishOk(ADMIN, topic, "message", "\"after\""));
        page.await("got.length >= arguments[0]", "not every event arrived", ids.size());
        assertEquals(ids, page.eval("got"), "every event once, in order");
        assertEquals(HttpApi.historyIds(topic), ids);
        assertEquals(0L, page.number("client.stats.duplicates"), "nothing was delivered twice");
        assertTrue((Boolean) page.eval("statuses.some(s => s.upgradedFrom === arguments[0])", fallback),
                "the status told of the move: " + page.eval("JSON.stringify(statuses)"));
        page.run("client.close();");
    }
}
