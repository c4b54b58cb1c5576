package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Many subscriptions over one WebSocket, within the server's limits (4 opening at once, 10 subscribe or
 * unsubscribe ops per second in bursts of 20): herald.js paces its subscribes, sends again those the
 * server refuses for now, and unsubscribes only what the server accepted.
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserWsSubscriptionsTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();

    /** In the page: {@code client} with one subscription per topic; {@code got[topic]} ids, {@code errors} codes. */
    static final String SUBSCRIBE_EACH = """
            const [options, topics] = arguments;
            window.got = {};
            window.errors = [];
            window.statuses = [];
            window.client = new lib.Herald(options);
            client.onStatus(s => statuses.push(s));
            window.subs = topics.map(topic => client.subscribe([topic], {
              onEvent: e => (got[e.topic] = got[e.topic] || []).push(e.id),
              onError: e => errors.push(e.code),
            }));
            """;

    @Test
    void everyOneOf24SubscriptionsOnOneWebSocketGetsWhatIsPublishedAfterwards() {
        List<String> topics = IntStream.range(0, 24).mapToObj(i -> HttpApi.topic("public")).toList();
        HarnessPage page = harness();
        page.run(SUBSCRIBE_EACH, java.util.Map.of("transport", "ws"), topics);
        // 'open' over a WebSocket: every subscription acknowledged.
        page.await("client.status.state === 'open'", "the client never reported every subscription open");
        assertEquals(24L, page.number("net.wsReceived.filter(f => f.type === 'subscribed').length"));
        assertEquals(0L, page.number("net.wsReceived.filter(f => f.type === 'error').length"),
                "the server refused no subscribe: " + page.eval("JSON.stringify(net.wsReceived.filter(f => f.type === 'error'))"));

        List<String> ids = topics.stream().map(t -> HttpApi.publishOk(ADMIN, t, "message", "1")).toList();
        page.await("arguments[0].every(t => got[t] && got[t].length === 1)",
                "not every subscription got its event", topics);
        for (int i = 0; i < topics.size(); i++) {
            assertEquals(List.of(ids.get(i)), page.eval("got[arguments[0]]", topics.get(i)));
        }
        assertEquals(0L, page.number("errors.length"));
        page.run("client.close();");
    }

    /** A subscribe refused for now (rate-limited, unavailable, internal) is sent again; the subscription works. */
    @Test
    void subscribesRefusedForNowAreSentAgain() {
        List<String> topics = IntStream.range(0, 3).mapToObj(i -> HttpApi.topic("public")).toList();
        HarnessPage page = harness();
        page.run("net.refuseSubscribe = {[arguments[0]]: 'rate-limited', [arguments[1]]: 'unavailable', [arguments[2]]: 'internal'};",
                topics.get(0), topics.get(1), topics.get(2));
        page.run(SUBSCRIBE_EACH, java.util.Map.of("transport", "ws", "backoff", java.util.Map.of("base", 200, "cap", 1000)), topics);
        page.await("client.status.state === 'open'", "the refused subscribes were not sent again");
        assertEquals(3L, page.number("net.wsSent.filter(op => op.op === 'subscribe').length"), "each one sent again once");
        assertTrue((Boolean) page.eval("statuses.some(s => s.state === 'reconnecting' && s.code)"),
                "the wait showed as reconnecting: " + page.eval("JSON.stringify(statuses)"));

        List<String> ids = topics.stream().map(t -> HttpApi.publishOk(ADMIN, t, "message", "1")).toList();
        page.await("arguments[0].every(t => got[t] && got[t].length === 1)", "a retried subscription got nothing", topics);
        assertEquals(List.of(ids.get(2)), page.eval("got[arguments[0]]", topics.get(2)));
        assertEquals(0L, page.number("errors.length"), "refusals for now do not reach onError");
        page.run("client.close();");
    }

    /**
     * A forbidden subscription reaches onError and makes the status error (as on SSE and polling) until
     * it is closed; closing it sends no unsubscribe (the server never held it: a protocol error there),
     * while closing an accepted one does.
     */
    @Test
    void aRefusedSubscriptionShowsAsErrorAndIsNotUnsubscribed() {
        String forbidden = HttpApi.topic("private");
        String roomA = HttpApi.topic("room");
        String roomB = HttpApi.topic("room");
        String token = TestTokens.token("bob", List.of("room:*"), List.of());
        HarnessPage page = harness();
        page.run(SUBSCRIBE_EACH, java.util.Map.of("transport", "ws", "token", token), List.of(roomA, forbidden, roomB));
        page.await("errors.length === 1", "the refusal never reached onError");
        assertEquals("forbidden", page.eval("errors[0]"));
        page.await("client.status.state === 'error' && client.status.code === 'forbidden'",
                "the status does not show the refusal");

        page.run("subs[1].close();");
        page.await("client.status.state === 'open'", "closing the refused subscription did not clear the error");
        page.run("subs[2].close();");
        page.await("net.wsReceived.some(f => f.type === 'unsubscribed')", "the accepted subscription was not unsubscribed");
        assertEquals(List.of(List.of(roomB)),
                page.eval("net.wsSent.filter(op => op.op === 'unsubscribe').map(op => op.topics)"),
                "only the accepted subscription was unsubscribed");
        assertEquals(0L, page.number("net.wsReceived.filter(f => f.type === 'error' && f.code === 'invalid').length"));

        String id = HttpApi.publishOk(ADMIN, roomA, "message", "1");
        page.await("got[arguments[0]] && got[arguments[0]].length === 1", "the remaining subscription got nothing", roomA);
        assertEquals(List.of(id), page.eval("got[arguments[0]]", roomA));
        page.run("client.close();");
    }
}
