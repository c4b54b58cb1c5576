package dev.herald.bench;

import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Herald's load generator. {@code java -jar herald-bench.jar W1 --port 8080 --server-pids 1234 ...}
 * prints one JSON line of results. See bench/README.md for the workloads and the fields.
 */
public final class Main {

    final Options opt;
    final Loop loop = new Loop();
    final Recorder recorder = new Recorder();
    final String host;
    final int[] ports;
    final List<Long> serverPids;
    final List<Long> redisPids;
    final List<NetClient> clients = new ArrayList<>();
    /** The run's tokens (all null with auth off). */
    final Tokens tokens;

    Main(Options opt) {
        this.opt = opt;
        this.host = opt.str("host", "127.0.0.1");
        this.ports = opt.longs("ports", opt.str("port", "8080")).stream().mapToInt(Long::intValue).toArray();
        this.serverPids = opt.longs("server-pids", "");
        this.redisPids = opt.longs("redis-pid", "");
        this.tokens = new Tokens(opt);
        // Several loopback source addresses: one gives ~28k ephemeral ports, and TIME_WAIT of earlier runs.
        for (String source : opt.str("sources", "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4").split(",")) {
            clients.add(loop.vertx.createNetClient(new NetClientOptions().setLocalAddress(source)
                    .setTcpNoDelay(true).setConnectTimeout(20_000).setReceiveBufferSize(opt.integer("rcvbuf", 0) > 0
                            ? opt.integer("rcvbuf", 0) : 65536)));
        }
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equalsIgnoreCase("chart")) {
            Chart.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Options opt = new Options(args);
        Main main = new Main(opt);
        JsonLine out = new JsonLine().put("workload", opt.workload).put("auth", main.tokens.enabled());
        try {
            switch (opt.workload) {
                case "W1", "W3", "SSE" -> main.broadcast(out);
                case "W2" -> main.saturation(out);
                case "W4" -> main.idle(out);
                case "W5" -> main.resumeStorm(out);
                case "W6" -> new WsRooms(main).run(out);
                default -> throw new IllegalArgumentException("unknown workload " + opt.workload);
            }
        } catch (RuntimeException e) {
            out.put("error", String.valueOf(e));
            System.out.println(out);
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
        System.out.println(out);
        System.out.flush();
        // Thousands of sockets need not be closed one by one: the server sees them all go at exit.
        Runtime.getRuntime().halt(0);
    }

    // ---- SSE connections ----

    List<SseSubscriber> subscribers(int n, String[] topics, boolean keepCursor) {
        List<SseSubscriber> subs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            subs.add(new SseSubscriber(i % topics.length, topics[i % topics.length], recorder, keepCursor));
        }
        return subs;
    }

    /** Opens the streams, {@code batch} at a time; fails unless every one gets its 200 head. */
    void connect(List<SseSubscriber> subs, int firstIndex) {
        int batch = opt.integer("connect-batch", 250);
        for (int from = 0; from < subs.size(); from += batch) {
            List<SseSubscriber> part = subs.subList(from, Math.min(subs.size(), from + batch));
            int base = firstIndex + from;
            loop.run(() -> {
                for (int k = 0; k < part.size(); k++) {
                    open(part.get(k), base + k);
                }
            });
            waitFor(20, () -> loop.call(() -> part.stream().allMatch(s -> s.open || s.failed || s.ended)));
        }
        long failed = loop.call(() -> subs.stream().filter(s -> !s.open).count());
        if (failed > 0) {
            String why = loop.call(() -> subs.stream().filter(s -> s.refusal != null).map(s -> " (" + s.refusal + ")")
                    .findFirst().orElse(""));
            throw new IllegalStateException(failed + " of " + subs.size() + " streams did not open" + why);
        }
    }

    /** On the loop. */
    void open(SseSubscriber s, int index) {
        s.reconnecting();
        int port = ports[index % ports.length];
        clients.get((index / ports.length) % clients.size()).connect(port, host).onComplete(ar -> {
            if (ar.failed()) {
                s.failed = true;
                return;
            }
            s.socket = ar.result();
            s.socket.handler(buf -> {
                recorder.now = System.nanoTime();
                s.handle(buf);
            });
            s.socket.closeHandler(v -> {
                boolean wasEnded = s.ended;
                s.ended = true;
                if (s.onEnd != null && !wasEnded) {
                    s.onEnd.run();
                }
            });
            s.socket.write(s.request(host, tokens.subscriber));
        });
    }

    static void waitFor(double seconds, BooleanSupplier condition) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return;
            }
            Loop.sleep(0.05);
        }
    }

    static String[] topics(String prefix, int n) {
        String[] t = new String[n];
        for (int i = 0; i < n; i++) {
            t[i] = n == 1 ? prefix : prefix + "-" + i;
        }
        return t;
    }

    String runId() {
        return Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    }

    // ---- W1, W3: steady publishing to SSE subscribers ----

    void broadcast(JsonLine out) {
        boolean w3 = opt.workload.equals("W3");
        int n = opt.integer("subs", w3 ? 10_000 : 2_000);
        int topicCount = opt.integer("topics", w3 ? n : 1);
        double rate = opt.number("rate", w3 ? 2000 : 100);
        String[] topics = topics("b" + runId(), topicCount);
        out.put("subs", n).put("topics", topicCount).put("rate", rate).put("nodes", ports.length);
        List<SseSubscriber> subs = subscribers(n, topics, false);
        connect(subs, 0);
        Publisher pub = new Publisher(loop, host, ports[0], topics, tokens.publisher, opt.integer("batch", 1));
        pub.start(rate);
        Loop.sleep(opt.number("warmup", 5));
        Window w = new Window(serverPids, redisPids, loop, recorder);
        w.start();
        long a0 = loop.call(pub::attempted);
        Loop.sleep(opt.number("duration", 20));
        w.end(out);
        long a1 = loop.call(pub::attempted);
        pub.stop();
        out.put("publish_rate", (a1 - a0) / (Double) out.get("window_s"));
        finish(out, subs, pub);
    }

    /** After publishing stopped: waits for stragglers, then counts lost and duplicated deliveries. */
    void finish(JsonLine out, List<SseSubscriber> subs, Publisher pub) {
        waitFor(10, () -> loop.call(() -> pub.inflight == 0));
        waitFor(opt.number("grace", 10), () -> loop.call(() ->
                subs.stream().allMatch(s -> s.ended || s.expected >= pub.acceptedPerTopic[s.topic])));
        loop.run(() -> {
            long lost = 0;
            long dup = 0;
            long ended = 0;
            for (SseSubscriber s : subs) {
                lost += Math.max(0, pub.acceptedPerTopic[s.topic] - s.expected);
                dup += s.duplicates;
                ended += s.ended ? 1 : 0;
            }
            out.put("published", pub.attempted()).put("publish_errors", pub.errors)
                    .put("publish_p99_ms", Recorder.ms(pub.publishLatency, 99))
                    .put("lost", lost).put("duplicates", dup).put("disconnected", ended);
        });
    }

    // ---- W2: rising rate until p99 > 1 s ----

    void saturation(JsonLine out) {
        int n = opt.integer("subs", 5_000);
        String[] topics = topics("s" + runId(), 1);
        List<Double> rates = opt.doubles("rates", "2,4,6,8,10,12,14,16,20,25,30,40");
        out.put("subs", n).put("nodes", ports.length);
        List<SseSubscriber> subs = subscribers(n, topics, false);
        connect(subs, 0);
        Publisher pub = new Publisher(loop, host, ports[0], topics, tokens.publisher, 1);
        List<JsonLine> steps = new ArrayList<>();
        JsonLine best = null;
        for (double rate : rates) {
            pub.start(rate);
            Loop.sleep(opt.number("warmup", 3));
            Window w = new Window(serverPids, redisPids, loop, recorder);
            JsonLine step = new JsonLine().put("rate", rate);
            w.start();
            long a0 = loop.call(pub::attempted);
            Loop.sleep(opt.number("duration", 10));
            w.end(step);
            long a1 = loop.call(pub::attempted);
            step.put("publish_rate", (a1 - a0) / (Double) step.get("window_s"));
            long[] health = loop.call(() -> new long[] {
                    subs.stream().filter(s -> s.ended).count(),
                    subs.stream().mapToLong(s -> Math.max(0, pub.acceptedPerTopic[s.topic] - s.expected)).sum()});
            // Missing so far (includes events still in flight at the end of the step).
            step.put("disconnected", health[0]).put("missing", health[1]);
            steps.add(step);
            System.err.println("W2 step " + step);
            double p99 = (Double) step.get("p99_ms");
            boolean sustained = p99 <= 1000 && health[0] == 0
                    && (a1 - a0) / (Double) step.get("window_s") >= 0.95 * rate;
            if (sustained) {
                best = step;
            } else {
                break;
            }
        }
        pub.stop();
        out.put("steps", steps);
        out.put("best_rate", best == null ? null : best.get("rate"))
                .put("best_deliveries_per_s", best == null ? null : best.get("deliveries_per_s"))
                .put("best_p99_ms", best == null ? null : best.get("p99_ms"))
                .put("best_server_cpu_us_per_delivery", best == null ? null : best.get("server_cpu_us_per_delivery"))
                .put("best_server_cpu_util", best == null ? null : best.get("server_cpu_util"))
                .put("best_client_cpu_util", best == null ? null : best.get("client_cpu_util"));
        finish(out, subs, pub);
    }

    // ---- W4: idle connections ----

    void idle(JsonLine out) {
        int n = opt.integer("subs", 19_000);
        long pid = serverPids.get(0);
        String[] topics = topics("idle" + runId(), opt.integer("topics", 1));
        out.put("subs", n).put("topics", topics.length);
        // Baseline: the server after start and a full GC, with no connection.
        Proc.fullGc(pid);
        Loop.sleep(1);
        long rss0 = Proc.rssKib(pid);
        long heap0 = Proc.heapUsedKib(pid);
        List<SseSubscriber> subs = subscribers(n, topics, false);
        long t0 = System.nanoTime();
        connect(subs, 0);
        out.put("connect_s", (System.nanoTime() - t0) / 1e9);
        Loop.sleep(opt.number("settle", 3));
        Proc.fullGc(pid);
        Loop.sleep(1);
        long rss1 = Proc.rssKib(pid);
        long heap1 = Proc.heapUsedKib(pid);
        out.put("baseline_rss_kib", rss0).put("baseline_heap_kib", heap0)
                .put("rss_kib", rss1).put("heap_kib", heap1)
                .put("rss_kib_per_conn", (double) (rss1 - rss0) / n)
                .put("heap_kib_per_conn", (double) (heap1 - heap0) / n)
                .put("non_heap_rss_kib_per_conn", (double) ((rss1 - rss0) - (heap1 - heap0)) / n)
                .put("still_open", loop.call(() -> subs.stream().filter(s -> s.open && !s.ended).count()));
    }

    // ---- W5: resume storm ----

    void resumeStorm(JsonLine out) {
        int n = opt.integer("subs", 1_000);
        int events = opt.integer("events", 1_000);
        String[] topics = topics("r" + runId(), 1);
        out.put("subs", n).put("events", events).put("nodes", ports.length);
        List<SseSubscriber> subs = subscribers(n, topics, true);
        connect(subs, 0);
        Publisher pub = new Publisher(loop, host, ports[0], topics, tokens.publisher, 1);
        // A few live events so that every subscriber holds a cursor.
        for (int i = 0; i < 5; i++) {
            loop.run(() -> pub.publishNext(1));
        }
        waitFor(10, () -> loop.call(() -> subs.stream().allMatch(s -> s.expected >= 5)));
        long before = loop.call(() -> subs.stream().filter(s -> s.expected < 5 || s.cursor == null).count());
        if (before > 0) {
            throw new IllegalStateException(before + " subscribers without a cursor before the storm");
        }
        // --rounds N: the storm N times on the same nodes, the last one measured (the earlier ones warm
        // the servers' JIT, so that the figure is the steady-state cost rather than a cold JVM's).
        int rounds = opt.integer("rounds", 1);
        out.put("rounds", rounds);
        long target = 5;
        Window w = null;
        long t0 = 0;
        for (int round = 1; round <= rounds; round++) {
            boolean measured = round == rounds;
            loop.run(() -> subs.forEach(s -> {
                s.onEnd = null;
                s.socket.close();
            }));
            waitFor(10, () -> loop.call(() -> subs.stream().allMatch(s -> s.ended)));
            // Publish while everyone is away (batches of 100 through POST /v1/events).
            int batch = opt.integer("batch", 100);
            long p0 = System.nanoTime();
            for (int sent = 0; sent < events; sent += batch) {
                int k = Math.min(batch, events - sent);
                loop.run(() -> pub.publishNext(k));
            }
            waitFor(30, () -> loop.call(() -> pub.inflight == 0));
            out.put("publish_s", (System.nanoTime() - p0) / 1e9).put("publish_errors", pub.errors);
            target += events;
            long roundTarget = target;
            if (measured) {
                w = new Window(serverPids, redisPids, loop, recorder);
                w.start();
            }
            t0 = System.nanoTime();
            loop.run(() -> {
                for (int i = 0; i < subs.size(); i++) {
                    SseSubscriber s = subs.get(i);
                    s.target = roundTarget;
                    s.caughtUpAt = 0;
                    int index = i;
                    // Like EventSource: a stream that ends before it caught up (the server said "retry
                    // later", e.g. the broker timed out under the storm) comes back after retry: ms.
                    s.onEnd = () -> {
                        if (s.caughtUpAt == 0) {
                            s.retries++;
                            loop.vertx.setTimer(Math.max(1, s.retryMs), id -> open(s, index));
                        }
                    };
                    open(s, i);
                }
            });
            waitFor(opt.number("timeout", 60), () -> loop.call(() -> subs.stream().allMatch(s -> s.caughtUpAt != 0)));
        }
        double total = (System.nanoTime() - t0) / 1e9;
        w.end(out);
        long start = t0;
        long finalTarget = target;
        loop.run(() -> {
            long[] times = subs.stream().filter(s -> s.caughtUpAt != 0).mapToLong(s -> s.caughtUpAt - start).sorted()
                    .toArray();
            long lost = 0;
            long dup = 0;
            for (SseSubscriber s : subs) {
                lost += Math.max(0, finalTarget - s.expected);
                dup += s.duplicates;
            }
            out.put("caught_up", times.length)
                    .put("all_caught_up_s", times.length == subs.size() ? times[times.length - 1] / 1e9 : null)
                    .put("median_caught_up_s", times.length == 0 ? null : times[times.length / 2] / 1e9)
                    .put("wait_s", total)
                    .put("resets", recorder.notices)
                    .put("retries", subs.stream().mapToLong(s -> s.retries).sum())
                    .put("lost", lost).put("duplicates", dup);
        });
    }
}
