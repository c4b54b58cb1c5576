package dev.herald.browser;

import static dev.herald.support.JobsApi.enqueueOk;
import static dev.herald.support.JobsApi.leaseOne;
import static dev.herald.support.JobsApi.report;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * herald.js followJob in Chromium: the page that enqueued a job (its owner's token, no subscribe claim)
 * sees its progress and its result, over each transport, while a worker drives it over HTTP.
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserFollowJobTest extends BrowserTest {

    @ParameterizedTest
    @ValueSource(strings = {"ws", "sse", "poll"})
    void aFollowedJobReportsItsProgressAndItsResult(String transport) {
        String queue = "render:" + UUID.randomUUID().toString().substring(0, 8);
        String owner = TestTokens.queues("dana", List.of("render:*"), List.of(), List.of());
        String worker = TestTokens.queues("w", List.of(), List.of("render:*"), List.of());
        String id = enqueueOk(owner, queue, "{\"frames\":3}");
        HarnessPage page = new HarnessPage(chromium.driver(), base).open();
        page.run("""
                window.seen = { progress: [], done: null, statuses: [] };
                window.client = new lib.Herald({ transport: arguments[0], token: arguments[1] });
                client.onStatus(s => { window.linkState = s.state; });
                client.followJob(arguments[2], {
                  onStatus: s => seen.statuses.push(s.status),
                  onProgress: p => seen.progress.push(p),
                  onDone: s => { seen.done = s; },
                });
                """, transport, owner, id);
        page.await("window.linkState === 'open' && seen.statuses.includes('queued')",
                "the page did not read the job's status");
        JsonPath job = leaseOne(worker, queue);
        String lease = job.getString("lease");
        report(worker, id, "progress", "{\"lease\":\"" + lease + "\",\"progress\":40}").then().statusCode(200);
        page.await("seen.progress.includes(40)", "the page did not see the progress");
        report(worker, id, "ack", "{\"lease\":\"" + lease + "\",\"result\":{\"url\":\"/out.mp4\"}}")
                .then().statusCode(200);
        page.await("seen.done !== null", "the page did not see the job finish");
        assertEquals("succeeded", page.eval("seen.done.status"));
        assertEquals("/out.mp4", page.eval("seen.done.result.url"));
        page.run("client.close();");
    }
}
