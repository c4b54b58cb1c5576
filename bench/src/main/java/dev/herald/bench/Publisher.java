package dev.herald.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.HdrHistogram.Histogram;

/**
 * Publishes over HTTP ({@code POST /v1/topics/{t}/events}, or {@code POST /v1/events} in batches) at a
 * paced rate, round-robin over the topics. Each event's data is 100 bytes of JSON carrying the topic's
 * sequence number {@code s} and the publish time {@code t} (System.nanoTime of this process).
 * Runs on the generator's loop.
 */
final class Publisher {

    static final int DATA_BYTES = 100;
    private static final String PAD = "x".repeat(DATA_BYTES);

    private final Loop loop;
    private final HttpClient client;
    private final String host;
    private final int port;
    private final String[] topics;
    /** Sequence numbers handed out per topic (= events attempted). */
    final long[] next;
    long accepted;
    /** Events accepted (202) per topic. */
    final long[] acceptedPerTopic;
    long errors;
    long inflight;
    final int maxInflight;
    final Histogram publishLatency = new Histogram(600_000_000L, 3);
    private long timer = -1;
    private long startedAt;
    private long sent;
    private double rate;
    private int cursor;
    private final int batch;
    /** {@code Bearer <token>} encoded once (Netty writes an AsciiString's bytes as they are), or null. */
    private final CharSequence authorization;

    /** {@code token}: sent as {@code Authorization: Bearer} with every publish (null: none, auth off). */
    Publisher(Loop loop, String host, int port, String[] topics, String token, int batch) {
        this.loop = loop;
        this.host = host;
        this.port = port;
        this.topics = topics;
        this.next = new long[topics.length];
        this.acceptedPerTopic = new long[topics.length];
        this.batch = Math.max(1, batch);
        this.maxInflight = 64;
        this.authorization = token == null ? null : HttpHeaders.createOptimized("Bearer " + token);
        this.client = loop.vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                .setTcpNoDelay(true).setDefaultHost(host).setDefaultPort(port),
                new PoolOptions().setHttp1MaxSize(16));
    }

    static String data(long seq, long ts) {
        String head = "{\"s\":" + seq + ",\"t\":" + ts + ",\"p\":\"";
        return head + PAD.substring(0, Math.max(0, DATA_BYTES - head.length() - 2)) + "\"}";
    }

    /** Publishes at {@code rate} events per second from now (on the loop). */
    void start(double rate) {
        loop.run(() -> {
            stopTimer();
            this.rate = rate;
            this.startedAt = System.nanoTime();
            this.sent = 0;
            timer = loop.vertx.setPeriodic(2, id -> tick());
        });
    }

    void stop() {
        loop.run(this::stopTimer);
    }

    private void stopTimer() {
        if (timer >= 0) {
            loop.vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    private void tick() {
        long due = (long) (rate * (System.nanoTime() - startedAt) / 1e9);
        while (sent + batch <= due || (batch == 1 && sent < due)) {
            if (inflight >= maxInflight) {
                return; // the server is behind: the achieved rate shows it
            }
            publishNext(batch);
            sent += batch;
        }
    }

    /** Sends {@code n} events (one request), round-robin over the topics. */
    void publishNext(int n) {
        long t0 = System.nanoTime();
        String path;
        String body;
        int[] touched = new int[n];
        if (n == 1) {
            int topic = cursor++ % topics.length;
            touched[0] = topic;
            path = "/v1/topics/" + topics[topic] + "/events";
            body = "{\"type\":\"m\",\"data\":" + data(next[topic]++, t0) + "}";
        } else {
            path = "/v1/events";
            StringBuilder b = new StringBuilder(n * 160).append("{\"events\":[");
            for (int k = 0; k < n; k++) {
                int topic = cursor++ % topics.length;
                touched[k] = topic;
                b.append(k == 0 ? "" : ",").append("{\"topic\":\"").append(topics[topic])
                        .append("\",\"type\":\"m\",\"data\":").append(data(next[topic]++, t0)).append('}');
            }
            body = b.append("]}").toString();
        }
        inflight++;
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
                .putHeader("content-type", "application/json");
        if (authorization != null) {
            options.putHeader(HttpHeaders.AUTHORIZATION, authorization);
        }
        client.request(options)
                .compose(req -> req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(x -> resp.statusCode()))
                .onComplete(ar -> {
                    inflight--;
                    if (ar.succeeded() && ar.result() == 202) {
                        accepted += n;
                        for (int topic : touched) {
                            acceptedPerTopic[topic]++;
                        }
                        publishLatency.recordValue(Math.min((System.nanoTime() - t0) / 1000, 600_000_000L));
                    } else {
                        if (errors == 0) {
                            System.err.println("first failed publish: " + (ar.succeeded()
                                    ? "status " + ar.result() : String.valueOf(ar.cause())));
                        }
                        errors += n;
                    }
                });
    }

    /** Events handed out so far over all topics. */
    long attempted() {
        long sum = 0;
        for (long v : next) {
            sum += v;
        }
        return sum;
    }
}
