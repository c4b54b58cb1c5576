package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

/** herald.js at the edges: close() during an SSE probe. */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserClientEdgesTest extends BrowserTest {

    private HarnessPage harness() {
        return new HarnessPage(chromium.driver(), base).open();
    }

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
}
