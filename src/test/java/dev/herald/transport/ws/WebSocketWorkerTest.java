package dev.herald.transport.ws;

import static dev.herald.support.JobsApi.enqueueOk;
import static dev.herald.support.JobsApi.status;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** WebSocket workers: consume with a prefetch, progress/ack/nack over the connection, release on close. */
@QuarkusTest
class WebSocketWorkerTest {

    @TestHTTPResource("/")
    URI base;

    private final String queue = "ws-jobs:" + UUID.randomUUID().toString().substring(0, 8);
    private final String client = TestTokens.queues("erin", List.of("ws-jobs:*"), List.of(), List.of());
    private final String worker = TestTokens.queues("w", List.of(), List.of("ws-jobs:*"), List.of());

    private WsClient connect(String token) {
        return WsClient.to(base).bearer(token).connect();
    }

    private static JsonNode job(WsClient ws) {
        return ws.awaitMessage(m -> m.path("type").asText().equals("job")).get("job");
    }

    @Test
    void jobsArePushedUpToThePrefetchAndSettledOverTheConnection() {
        for (int i = 0; i < 3; i++) {
            enqueueOk(client, queue, String.valueOf(i));
        }
        try (WsClient ws = connect(worker)) {
            ws.send("{\"op\":\"consume\",\"queue\":\"" + queue + "\",\"prefetch\":2,\"ref\":\"c\"}");
            assertEquals("c", ws.expect("consuming").get("ref").asText());
            JsonNode first = job(ws);
            JsonNode second = job(ws);
            assertNull(ws.poll(Duration.ofMillis(500)), "no more than the prefetch unsettled");
            ws.send("{\"op\":\"progress\",\"id\":\"" + first.get("id").asText() + "\",\"lease\":\""
                    + first.get("lease").asText() + "\",\"progress\":30,\"ref\":1}");
            assertEquals(30, ws.expect("progressed").get("job").get("progress").asInt());
            ws.send("{\"op\":\"ack\",\"id\":\"" + first.get("id").asText() + "\",\"lease\":\""
                    + first.get("lease").asText() + "\",\"result\":{\"ok\":true},\"ref\":2}");
            JsonNode acked = ws.awaitMessage(m -> m.path("type").asText().equals("acked"));
            assertEquals("succeeded", acked.get("job").get("status").asText());
            JsonNode third = job(ws); // room again: the third job is pushed
            Set<String> ids = new HashSet<>(List.of(first.get("id").asText(), second.get("id").asText(),
                    third.get("id").asText()));
            assertEquals(3, ids.size());
            ws.send("{\"op\":\"nack\",\"id\":\"" + second.get("id").asText() + "\",\"lease\":\""
                    + second.get("lease").asText() + "\",\"error\":\"no\",\"retry\":false}");
            assertEquals("dead", ws.awaitMessage(m -> m.path("type").asText().equals("nacked"))
                    .get("job").get("status").asText());
            ws.send("{\"op\":\"ack\",\"id\":\"" + second.get("id").asText() + "\",\"lease\":\""
                    + second.get("lease").asText() + "\",\"ref\":9}");
            assertEquals("conflict", ws.awaitMessage(m -> m.path("type").asText().equals("error")).get("code").asText());
        }
    }

    @Test
    void aClosedConnectionsUnsettledJobsGoBackToTheQueueAtOnce() {
        String id = enqueueOk(client, queue, "1");
        try (WsClient ws = connect(worker)) {
            ws.send("{\"op\":\"consume\",\"queue\":\"" + queue + "\"}");
            assertEquals(id, job(ws).get("id").asText());
            status(client, id).then().body("status", equalTo("active"));
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                "queued".equals(status(client, id).then().extract().path("status")));
        status(client, id).then().body("attempt", equalTo(0));
        try (WsClient other = connect(worker)) {
            other.send("{\"op\":\"consume\",\"queue\":\"" + queue + "\"}");
            JsonNode again = job(other);
            assertEquals(id, again.get("id").asText());
            assertEquals(1, again.get("attempt").asInt(), "the released attempt did not count");
        }
    }

    @Test
    void aJobEnqueuedWhileAWorkerWaitsIsPushedAndOnlyWorkersMayConsume() {
        try (WsClient ws = connect(worker); WsClient notWorker = connect(client)) {
            notWorker.send("{\"op\":\"consume\",\"queue\":\"" + queue + "\",\"ref\":\"x\"}");
            assertEquals("forbidden", notWorker.expect("error").get("code").asText());
            ws.send("{\"op\":\"consume\",\"queue\":\"" + queue + "\"}");
            ws.expect("consuming");
            String id = enqueueOk(client, queue, "{\"late\":true}");
            assertEquals(id, job(ws).get("id").asText());
            ws.send("{\"op\":\"cancel\",\"queue\":\"" + queue + "\",\"ref\":\"k\"}");
            ws.expect("cancelled");
        }
    }
}
