package dev.herald.transport.ws;

import static dev.herald.support.JobsApi.enqueueOk;
import static dev.herald.support.JobsApi.status;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.support.TestTokens;
import dev.herald.support.WsClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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

    private static String ack(JsonNode job, String lease, int ref) {
        return "{\"op\":\"ack\",\"id\":\"" + job.get("id").asText() + "\",\"lease\":\"" + lease + "\",\"ref\":"
                + ref + "}";
    }

    /** A worker that finishes several jobs at once sends their acks together: each answered, the room refilled. */
    @Test
    void acksSentTogetherAreEachAnsweredAndTheRoomTheyFreeIsFilledAgain() {
        for (int i = 0; i < 8; i++) {
            enqueueOk(client, queue, String.valueOf(i));
        }
        try (WsClient ws = connect(worker)) {
            ws.send("{\"op\":\"consume\",\"queue\":\"" + queue + "\",\"prefetch\":4}");
            ws.expect("consuming");
            List<JsonNode> first = List.of(job(ws), job(ws), job(ws), job(ws));
            for (int i = 0; i < 4; i++) {
                ws.send(ack(first.get(i), first.get(i).get("lease").asText(), i + 1));
            }
            ws.send(ack(first.get(1), first.get(0).get("lease").asText(), 5)); // another job's lease
            Map<Integer, JsonNode> answers = new HashMap<>();
            Set<String> next = new HashSet<>();
            while (answers.size() < 5 || next.size() < 4) {
                JsonNode m = ws.next();
                switch (m.get("type").asText()) {
                    case "job" -> next.add(m.get("job").get("id").asText());
                    case "acked", "error" -> answers.put(m.get("ref").asInt(), m);
                    default -> throw new AssertionError("unexpected " + m);
                }
            }
            for (int ref = 1; ref <= 4; ref++) {
                assertEquals("acked", answers.get(ref).get("type").asText(), "ack " + ref);
                assertEquals(first.get(ref - 1).get("id").asText(), answers.get(ref).get("job").get("id").asText());
                assertEquals("succeeded", answers.get(ref).get("job").get("status").asText(), "ack " + ref);
            }
            assertEquals("conflict", answers.get(5).get("code").asText(), "a lease this connection does not hold");
            Set<String> firstIds = new HashSet<>();
            first.forEach(j -> firstIds.add(j.get("id").asText()));
            assertEquals(4, next.size());
            assertTrue(next.stream().noneMatch(firstIds::contains), "the other four jobs filled the room: " + next);
            for (String id : firstIds) {
                status(client, id).then().body("status", equalTo("succeeded"));
            }
        }
    }

    /** Acks that came just before the connection closed settle their jobs: the release on close does not undo them. */
    @Test
    void acksJustBeforeTheConnectionClosesAreSettledNotGivenBack() {
        List<String> ids = List.of(enqueueOk(client, queue, "1"), enqueueOk(client, queue, "2"));
        WsClient ws = connect(worker);
        ws.send("{\"op\":\"consume\",\"queue\":\"" + queue + "\",\"prefetch\":2}");
        List<JsonNode> jobs = List.of(job(ws), job(ws));
        ws.send(ack(jobs.get(0), jobs.get(0).get("lease").asText(), 1));
        ws.send(ack(jobs.get(1), jobs.get(1).get("lease").asText(), 2));
        ws.close();
        for (String id : ids) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !"active".equals(status(client, id).then().extract().path("status")));
            status(client, id).then().body("status", equalTo("succeeded"));
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
