package dev.herald.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.event.EventId;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes to one node at a steady rate, whatever the answers take: each tick sends one
 * {@code POST /v1/topics/{topic}/events} asynchronously on a shared {@link HttpClient}, round-robin
 * over the topics, with {@code data.key = <label>-<seq>}, and records how each one ended.
 */
public final class SteadyPublisher implements AutoCloseable {

    /** How a publish ended. */
    public enum Outcome {
        /** 202: stored, must be delivered. */
        ACCEPTED,
        /** 503: refused (Herald's own, with Retry-After, or Quarkus' while it stops). */
        REFUSED,
        /** No connection could be made: the node is gone. Nothing was sent. */
        UNREACHABLE,
        /** Sent, but no answer (reset, closed, timed out): the client cannot know whether it was stored. */
        BROKEN,
        /** Any other status: a test failure. */
        UNEXPECTED
    }

    /** One publish and its answer; times are {@link System#nanoTime}. */
    public record Publish(String key, String topic, long sentAt, long doneAt, Outcome outcome, int status,
                          EventId id, String detail) {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpClient http;
    private final String label;
    private final URI node;
    private final List<String> topics;
    private final String token;
    private final long intervalNanos;
    private final ConcurrentLinkedQueue<Publish> results = new ConcurrentLinkedQueue<>();
    private final List<CompletableFuture<?>> pending = new ArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    public SteadyPublisher(HttpClient http, String label, URI node, List<String> topics, String token, int perSecond) {
        this.http = http;
        this.label = label;
        this.node = node;
        this.topics = List.copyOf(topics);
        this.token = token;
        this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
        this.thread = Thread.ofVirtual().name("publisher-" + label).start(this::run);
    }

    private void run() {
        long start = System.nanoTime();
        for (long seq = 0; !stopped; seq++) {
            LockSupport.parkNanos(start + seq * intervalNanos - System.nanoTime());
            if (stopped) {
                return;
            }
            CompletableFuture<?> f = send(seq, topics.get((int) (seq % topics.size())));
            synchronized (pending) {
                pending.add(f);
            }
            sent.incrementAndGet();
        }
    }

    private CompletableFuture<?> send(long seq, String topic) {
        String key = label + "-" + seq;
        HttpRequest request = NodeApi.publishRequest(node, token, topic,
                "{\"type\":\"load\",\"data\":{\"key\":\"" + key + "\"}}", Duration.ofSeconds(15)).build();
        long sentAt = System.nanoTime();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            long doneAt = System.nanoTime();
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                Outcome outcome = cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException
                        ? Outcome.UNREACHABLE
                        : cause instanceof IOException ? Outcome.BROKEN : Outcome.UNEXPECTED;
                results.add(new Publish(key, topic, sentAt, doneAt, outcome, -1, null, String.valueOf(cause)));
            } else if (response.statusCode() == 202) {
                results.add(new Publish(key, topic, sentAt, doneAt, Outcome.ACCEPTED, 202, id(response.body()), null));
            } else if (response.statusCode() == 503) {
                String retryAfter = response.headers().firstValue("Retry-After").map(s -> "Retry-After " + s)
                        .orElse("no Retry-After");
                results.add(new Publish(key, topic, sentAt, doneAt, Outcome.REFUSED, 503, null, retryAfter));
            } else {
                results.add(new Publish(key, topic, sentAt, doneAt, Outcome.UNEXPECTED, response.statusCode(), null,
                        response.body()));
            }
            return null;
        });
    }

    private static EventId id(String body) {
        try {
            return EventId.parse(MAPPER.readTree(body).path("id").asText());
        } catch (IOException e) {
            throw new IllegalStateException("unreadable 202 body: " + body, e);
        }
    }

    public String label() {
        return label;
    }

    /** Publishes sent so far. */
    public long sent() {
        return sent.get();
    }

    /** The answered publishes so far, in no particular order. */
    public List<Publish> results() {
        return List.copyOf(results);
    }

    /** Stops sending, without waiting for the answers. */
    public void stop() {
        stopped = true;
    }

    /** Stops sending and waits (bounded) for every answer. */
    @Override
    public void close() {
        stopped = true;
        try {
            thread.join(5000);
            CompletableFuture<?>[] all;
            synchronized (pending) {
                all = pending.toArray(CompletableFuture[]::new);
            }
            CompletableFuture.allOf(all).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("publisher " + label + " did not finish", e);
        }
    }
}
