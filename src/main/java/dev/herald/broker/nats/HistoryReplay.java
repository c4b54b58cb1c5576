package dev.herald.broker.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Long history reads in one exchange. NATS 2.9 has no batched direct get, so a walk of the stream is one
 * request per event; a resume storm after a thousand events is a thousand round trips per page. Here a
 * page is read through an ephemeral pull consumer instead: filtered on the topic's subject, starting at a
 * sequence, no acknowledgements, in memory, one replica (it lives for one page and is deleted after it,
 * or by the server once idle). One fetch of up to a page of messages comes back in stream order, each
 * with its stream sequence and the number still pending in its reply subject, so the read ends exactly
 * at the page's size, at the head the caller saw, or when nothing is left.
 *
 * <p>Creating a consumer costs a round trip to the stream's leader (on a cluster, to the meta leader as
 * well), so {@link NatsBroker} reads the first few events of a page with direct gets and uses this only
 * for what is left after them.
 */
final class HistoryReplay {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACK_PREFIX = "$JS.ACK.";
    /** Digits of a token read as a number at most: any 18-digit number fits in a long. */
    private static final int MAX_DIGITS = 18;
    /** The server deletes a consumer left behind (its delete lost with the connection) once idle this long. */
    private static final Duration IDLE_CONSUMER = Duration.ofSeconds(30);

    private final NatsConnection nats;
    private final String stream;
    private final Duration timeout;
    private final BrokerMetrics metrics;
    private Connection dispatcherOf;
    private Dispatcher dispatcher;

    HistoryReplay(NatsConnection nats, String stream, Duration timeout, BrokerMetrics metrics) {
        this.nats = nats;
        this.stream = stream;
        this.timeout = timeout;
        this.metrics = metrics;
    }

    /**
     * The stored events of {@code subject} from sequence {@code from} on, oldest first: at most {@code max},
     * none after {@code headSeq}. Fails with {@link BrokerUnavailableException} when NATS does not answer.
     */
    CompletableFuture<List<StoredEvent>> read(String subject, long from, long headSeq, int max) {
        long start = System.nanoTime();
        String create = "{\"stream_name\":\"" + stream + "\",\"config\":{\"deliver_policy\":\"by_start_sequence\","
                + "\"opt_start_seq\":" + from + ",\"ack_policy\":\"none\",\"replay_policy\":\"instant\","
                + "\"filter_subject\":\"" + subject + "\",\"mem_storage\":true,\"num_replicas\":1,"
                + "\"inactive_threshold\":" + IDLE_CONSUMER.toNanos() + "}}";
        return nats.request("$JS.API.CONSUMER.CREATE." + stream, create.getBytes(StandardCharsets.UTF_8))
                .thenCompose(answer -> {
                    String consumer = consumerName(answer.getData());
                    return fetch(consumer, headSeq, max).whenComplete((events, failure) -> delete(consumer));
                })
                .whenComplete((events, failure) -> metrics.brokerCommand(NatsBroker.NAME, "replay",
                        System.nanoTime() - start));
    }

    private CompletableFuture<List<StoredEvent>> fetch(String consumer, long headSeq, int max) {
        Connection conn = nats.current();
        if (conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("the broker is unavailable; retry later"));
        }
        CompletableFuture<List<StoredEvent>> done = new CompletableFuture<>();
        List<StoredEvent> events = new ArrayList<>(Math.min(max, 512));
        String inbox = conn.createInbox();
        // Messages arrive on the dispatcher's one thread, in order: the list needs no lock, and the
        // future hands it over.
        Subscription sub = dispatcher(conn).subscribe(inbox, m -> {
            if (done.isDone()) {
                return;
            }
            if (m.isStatusMessage()) { // 404/408: nothing (more) to fetch
                done.complete(events);
                return;
            }
            long[] position = position(m.getReplyTo());
            if (position == null) {
                done.completeExceptionally(new IOException("NATS: unexpected message on a replay: " + m.getReplyTo()));
                return;
            }
            long seq = position[0];
            if (seq > headSeq) {
                done.complete(events);
                return;
            }
            events.add(StoredEvent.ofConsumed(seq, m));
            if (events.size() >= max || seq >= headSeq || position[1] == 0) {
                done.complete(events);
            }
        });
        done.whenComplete((events2, failure) -> unsubscribe(sub));
        String next = "{\"batch\":" + max + ",\"no_wait\":true}";
        conn.publish("$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer, inbox, next.getBytes(StandardCharsets.UTF_8));
        return done.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionallyCompose(f -> CompletableFuture.failedFuture(
                        NatsConnection.unavailable(PublishLanes.unwrap(f))));
    }

    private void delete(String consumer) {
        // Not waited for: an unanswered delete leaves the consumer to the server's idle threshold.
        nats.request("$JS.API.CONSUMER.DELETE." + stream + "." + consumer, new byte[0]);
    }

    private synchronized Dispatcher dispatcher(Connection conn) {
        if (dispatcher == null || dispatcherOf != conn) {
            dispatcher = conn.createDispatcher();
            dispatcherOf = conn;
        }
        return dispatcher;
    }

    private synchronized void unsubscribe(Subscription sub) {
        if (dispatcher != null && sub.getDispatcher() == dispatcher && sub.isActive()) {
            dispatcher.unsubscribe(sub);
        }
    }

    /** The consumer's name from a create answer; an error answer fails with its description. */
    private static String consumerName(byte[] answer) {
        try {
            JsonNode root = JSON.readTree(answer);
            JsonNode error = root.get("error");
            if (error != null) {
                throw new IOException("NATS: " + error.path("description").asText() + " ["
                        + error.path("err_code").asInt() + "]");
            }
            String name = root.path("name").asText("");
            if (name.isEmpty()) {
                throw new IOException("NATS: unexpected answer to a consumer create");
            }
            return name;
        } catch (IOException e) {
            throw NatsConnection.unavailable(e);
        }
    }

    /**
     * Stream sequence and pending count from a consumed message's reply subject,
     * {@code $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>}; null
     * when it is not one. Read in place (no split into strings: this runs for every replayed message).
     */
    static long[] position(String reply) {
        if (reply == null || !reply.startsWith(ACK_PREFIX)) {
            return null;
        }
        int tokens = 1;
        for (int i = 0; i < reply.length(); i++) {
            if (reply.charAt(i) == '.') {
                tokens++;
            }
        }
        // v1 (nats-server 2.9): 9 tokens; v2 adds a domain and an account hash after ACK, and a token at the end.
        int seq = tokens == 9 ? 5 : tokens >= 12 ? 7 : -1;
        if (seq < 0) {
            return null;
        }
        long sequence = token(reply, seq);
        long pending = token(reply, seq + 3);
        return sequence < 0 || pending < 0 ? null : new long[] {sequence, pending};
    }

    /** The number in the {@code index}th dot-separated token of {@code s}, or -1 when it is not one. */
    private static long token(String s, int index) {
        int start = 0;
        for (int t = 0; t < index; t++) {
            start = s.indexOf('.', start) + 1;
        }
        int end = s.indexOf('.', start);
        if (end < 0) {
            end = s.length();
        }
        if (end == start || end - start > MAX_DIGITS) {
            return -1;
        }
        long n = 0;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
