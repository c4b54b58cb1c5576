package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** herald.js at the edges: close() during an SSE probe, a duplicate at the end of a poll answer, a token that keeps expiring. */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserClientEdgesTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();

    /**
     * EventSource gives up on a refused stream; herald.js then fetches the stream's URL to learn the
     * status. That fetch is itself a /v1/stream request: close() must abort it (here it never answers).
     */
    @Test
    void closeAbortsTheStatusProbeOfARefusedStream() {
        HarnessPage page = harness();
        page.run("""
                net.blockStream = true;
                window.probes = [];
                net.fetchHook = (url, init, nativeFetch) => {
                  if (!url.includes('/v1/stream')) return nativeFetch(url, init);
                  probes.push(init.signal);
                  return new Promise((resolve, reject) => init.signal.addEventListener('abort',
                      () => reject(new DOMException('aborted', 'AbortError'))));
                };
                window.client = new lib.Herald({ transport: 'sse' });
                client.subscribe([arguments[0]], {});
                """, HttpApi.topic("public"));
        page.await("probes.length === 1", "herald.js never probed the refused stream");
        assertEquals(false, page.eval("probes[0].aborted"));
        page.run("client.close();");
        assertEquals(true, page.eval("probes[0].aborted"), "close() left the probe request open");
    }

    /**
     * A poll answer whose last event is a duplicate (dropped): the answer's cursor still goes out with the
     * last event the app gets, so that a cursor the app saves is the position after everything it saw.
     */
    @Test
    void aDuplicateAtTheEndOfAPollAnswerDoesNotHoldBackItsCursor() {
        String topic = HttpApi.topic("public");
        HarnessPage page = harness();
        // The second answer with events gets the first answer's last event appended, as a repeat.
        page.run("""
                window.answers = [];
                window.calls = [];
                net.fetchHook = async (url, init, nativeFetch) => {
                  const response = await nativeFetch(url, init);
                  if (!url.includes('/v1/poll') || !response.ok) return response;
                  const body = await response.json();
                  if (body.events.length > 0) {
                    if (answers.length === 1) body.events.push(answers[0].events[answers[0].events.length - 1]);
                    answers.push(body);
                  }
                  return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
                };
                window.client = new lib.Herald({ transport: 'poll' });
                window.sub = client.subscribe([arguments[0]], { onEvent: (e, cursor) => calls.push({ id: e.id, cursor }) });
                """, topic);
        page.await("client.status.state === 'open'", "the poll did not start");
        HttpApi.publishOk(ADMIN, topic, "message", "1");
        page.await("calls.length === 1", "no first event");
        String second = HttpApi.publishOk(ADMIN, topic, "message", "2");
        page.await("answers.length === 2 && client.stats.duplicates === 1", "the repeated event was not dropped");
        assertEquals(2L, page.number("calls.length"));
        assertEquals(second, page.eval("calls[1].id"));
        String answerCursor = (String) page.eval("answers[1].cursor");
        assertNotEquals(page.eval("answers[0].cursor"), answerCursor);
        assertEquals(answerCursor, page.eval("calls[1].cursor"), "the answer's cursor went out with its last new event");
        assertEquals(answerCursor, page.eval("sub.cursor"));
        page.run("client.close();");
    }

    /**
     * A token that expired a moment ago is still accepted for a while (the server allows for clock skew),
     * so each stream ends at once with herald.token-expired, and each held poll is answered at once: with
     * the same token, herald.js must back off rather than reconnect in a loop.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sse", "poll"})
    void aTokenThatKeepsExpiringDoesNotMakeAReconnectLoop(String transport) {
        HarnessPage page = harness();
        page.run("""
                window.polls = 0;
                net.fetchHook = (url, init, nativeFetch) => {
                  if (url.includes('/v1/poll')) polls++;
                  return nativeFetch(url, init);
                };
                window.client = new lib.Herald({ transport: arguments[1], token: arguments[0] });
                client.subscribe([arguments[2]], {});
                window.expiresAt = Date.now() + 2000;
                """, TestTokens.expiringIn("bob", 2), transport, HttpApi.topic("public"));
        page.await("client.status.state === 'open'", "the subscription did not open");
        page.await(Duration.ofSeconds(15), "Date.now() > expiresAt + 5000", "5 s after the expiry never came");
        long connects = page.number(transport.equals("sse") ? "client.stats.opens" : "polls");
        assertTrue(connects <= 20, connects + " connections within 7 s of a 2 s token");
        page.run("client.close();");
    }
}
