package dev.herald.support;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes {@code {"seq":0}, {"seq":1}, ...} to one topic of one node, one publish at a time at most every
 * {@code interval}, and records each answer: 202 accepted, 503 refused, 504 outcome unknown (each must carry
 * Retry-After). {@link ResumingSubscriber} reads the seqs back; {@link Deliveries#verify} compares.
 */
public final class SeqPublisher {

    private final HttpClient http;
    private final String token;
    private final Set<Long> accepted = ConcurrentHashMap.newKeySet();
    private final Set<Long> refused = ConcurrentHashMap.newKeySet();
    /** Answered 504: written to the broker as it went away, stored or not (a client would retry with its key). */
    private final Set<Long> unknown = ConcurrentHashMap.newKeySet();
    private final Map<Long, long[]> timing = new ConcurrentHashMap<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean retryAfterMissing = new AtomicBoolean();
    private final Thread thread;
    private final long startedAt = System.nanoTime();
    private volatile long lastAt = startedAt;

    public SeqPublisher(HttpClient http, String token, HeraldProcess node, String topic, int count, Duration interval) {
        this.http = http;
        this.token = token;
        thread = Thread.ofPlatform().daemon().start(() -> {
            for (long seq = 0; seq < count && !stop.get(); seq++) {
                long start = System.nanoTime();
                try {
                    HttpResponse<String> r = publish(node, topic, seq);
                    if (r.statusCode() == 202) {
                        accepted.add(seq);
                    } else if (r.statusCode() == 503 || r.statusCode() == 504) {
                        (r.statusCode() == 503 ? refused : unknown).add(seq);
                        if (r.headers().firstValue("Retry-After").isEmpty()) {
                            retryAfterMissing.set(true);
                        }
                    } else {
                        throw new IllegalStateException("publish " + seq + " answered " + r.statusCode() + " " + r.body());
                    }
                } catch (java.io.IOException e) {
                    refused.add(seq);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                lastAt = System.nanoTime();
                timing.put(seq, new long[] {start, lastAt});
                published.incrementAndGet();
                long wait = interval.toNanos() - (System.nanoTime() - start);
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            }
        });
    }

    private HttpResponse<String> publish(HeraldProcess node, String topic, long seq) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.base().resolve("/v1/topics/" + topic + "/events"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"seq\",\"data\":{\"seq\":" + seq + "}}"))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Publishes answered per second, from the first to the latest answer. */
    public double rate() {
        double seconds = (lastAt - startedAt) / 1e9;
        return seconds <= 0 ? 0 : published.get() / seconds;
    }

    public long published() {
        return published.get();
    }

    public Set<Long> accepted() {
        return Set.copyOf(accepted);
    }

    /** Answered 503 or 504 (or not at all): not accepted, maybe stored. */
    public Set<Long> notAccepted() {
        Set<Long> all = new HashSet<>(refused);
        all.addAll(unknown);
        return all;
    }

    public Set<Long> refused() {
        return Set.copyOf(refused);
    }

    public Set<Long> unknown() {
        return Set.copyOf(unknown);
    }

    public boolean allRefusalsHadRetryAfter() {
        return !retryAfterMissing.get();
    }

    /** The publishes sent at or after {@code fromNanos} and answered by {@code toNanos}. */
    public Set<Long> completedBetween(long fromNanos, long toNanos) {
        Set<Long> result = new HashSet<>();
        timing.forEach((seq, t) -> {
            if (t[0] >= fromNanos && t[1] <= toNanos) {
                result.add(seq);
            }
        });
        return result;
    }

    public void awaitDone() throws InterruptedException {
        thread.join(TimeUnit.SECONDS.toMillis(60));
    }

    public void stop() throws InterruptedException {
        stop.set(true);
        thread.join(TimeUnit.SECONDS.toMillis(20));
    }
}
