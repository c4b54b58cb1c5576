package dev.herald.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An SSE subscriber that behaves like a browser's EventSource across nodes: when its stream ends or
 * its node is gone, it reconnects with the id of the last frame it consumed, to the next node in its
 * list when the current one refuses. It records the {@code data.seq} of every event it receives.
 */
public final class ResumingSubscriber implements AutoCloseable {

    private final String name;
    private final List<URI> nodes;
    private final List<String> topics;
    private final String token;
    private final ObjectMapper mapper = new ObjectMapper();
    private final List<Long> seqs = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    private final CountDownLatch connected = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean stopped;
    private volatile int node;
    private volatile int connections;
    private volatile String lastId;

    public ResumingSubscriber(String name, List<URI> nodes, int firstNode, List<String> topics, String token) {
        this.name = name;
        this.nodes = nodes;
        this.node = firstNode;
        this.topics = topics;
        this.token = token;
        this.thread = Thread.ofPlatform().name(name).daemon().start(this::run);
    }

    /** Waits until the first stream is open (its starting cursor received). */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        return connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!stopped && System.nanoTime() < deadline) {
            URI base = nodes.get(node);
            try (SseClient client = SseClient.open(base, topics, token, lastId)) {
                if (client.status() != 200) {
                    failOver();
                    continue;
                }
                connections++;
                consume(client);
            } catch (IllegalStateException refused) {
                failOver();
            }
        }
    }

    private void consume(SseClient client) {
        while (!stopped) {
            SseClient.Frame frame = client.next(Duration.ofMillis(200));
            if (frame == null) {
                if (client.ended()) {
                    return;
                }
                continue;
            }
            if (frame.id() != null) {
                lastId = frame.id();
                connected.countDown();
            }
            if (!frame.isEvent()) {
                continue;
            }
            if (frame.event() != null && frame.event().startsWith("herald.")) {
                synchronized (this) {
                    notices.add(frame.event() + " " + frame.data());
                }
                if (frame.event().equals("herald.shutdown")) {
                    // The node is draining (its readiness is DOWN): a load balancer sends the
                    // reconnect to another node.
                    node = (node + 1) % nodes.size();
                }
                continue;
            }
            try {
                JsonNode envelope = mapper.readTree(frame.data());
                synchronized (this) {
                    seqs.add(envelope.get("data").get("seq").asLong());
                }
            } catch (Exception e) {
                throw new IllegalStateException(name + ": unreadable event " + frame.data(), e);
            }
        }
    }

    /** The node did not take the stream: try the next one after a short, EventSource-like delay. */
    private void failOver() {
        node = (node + 1) % nodes.size();
        try {
            TimeUnit.MILLISECONDS.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    public synchronized List<Long> seqs() {
        return List.copyOf(seqs);
    }

    public synchronized List<String> notices() {
        return List.copyOf(notices);
    }

    public int connections() {
        return connections;
    }

    public String name() {
        return name;
    }

    /**
     * Stops them all at once and waits at most 2 s in all for their threads to end (one {@link #close}
     * after another waits up to 5 s each). A subscriber still running then ends when its connection does
     * (its node stopping).
     */
    public static void closeAll(java.util.Collection<ResumingSubscriber> subscribers) {
        subscribers.forEach(s -> s.stopped = true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (ResumingSubscriber s : subscribers) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return;
            }
            try {
                s.thread.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
