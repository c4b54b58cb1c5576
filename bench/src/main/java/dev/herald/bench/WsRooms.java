package dev.herald.bench;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * W6: WebSocket clients in rooms (one topic each); every client subscribes to its room and publishes
 * over its socket at a fixed rate. Publishes carry {@code ref} = the room's sequence number, so an ack
 * says which sequence numbers were accepted; each client checks it got every accepted one, once.
 */
final class WsRooms {

    private final Main main;

    WsRooms(Main main) {
        this.main = main;
    }

    private final class Client {
        final int room;
        WebSocket ws;
        boolean subscribed;
        boolean closed;
        final BitSet seen = new BitSet();
        long duplicates;
        long received;

        Client(int room) {
            this.room = room;
        }

        void onMessage(Buffer buffer) {
            main.recorder.now = System.nanoTime();
            ByteBuf b = buffer.getByteBuf();
            int from = b.readerIndex();
            int end = b.writerIndex();
            if (startsWith(b, from, end, "{\"type\":\"event\"")) {
                int s = find(b, from, end, 's');
                int t = find(b, from, end, 't');
                if (s < 0 || t < 0) {
                    main.recorder.notices++;
                    return;
                }
                int seq = (int) number(b, s, end);
                if (seen.get(seq)) {
                    duplicates++;
                    return;
                }
                seen.set(seq);
                received++;
                main.recorder.delivered(number(b, t, end));
            } else if (startsWith(b, from, end, "{\"type\":\"ack\"")) {
                int ref = findRef(b, from, end);
                if (ref >= 0) {
                    acked[room].set((int) number(b, ref, end));
                }
            } else if (startsWith(b, from, end, "{\"type\":\"subscribed\"")) {
                subscribed = true;
            } else if (startsWith(b, from, end, "{\"type\":\"error\"")) {
                errors++;
            }
        }
    }

    private BitSet[] acked;
    private long[] next;
    private long errors;

    void run(JsonLine out) {
        Options opt = main.opt;
        int n = opt.integer("clients", 1_000);
        int rooms = opt.integer("rooms", 10);
        double rate = opt.number("rate", 1);
        String prefix = "room" + main.runId();
        out.put("clients", n).put("rooms", rooms).put("rate_per_client", rate);
        acked = new BitSet[rooms];
        next = new long[rooms];
        for (int r = 0; r < rooms; r++) {
            acked[r] = new BitSet();
        }
        WebSocketClient wsClient = main.loop.vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxConnections(n + 10).setTcpNoDelay(true).setConnectTimeout(20_000));
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clients.add(new Client(i % rooms));
        }
        int batch = 100;
        for (int from = 0; from < n; from += batch) {
            List<Client> part = clients.subList(from, Math.min(n, from + batch));
            main.loop.run(() -> part.forEach(c -> wsClient.connect(new WebSocketConnectOptions()
                            .setHost(main.host).setPort(main.ports[0]).setURI("/v1/ws").setAllowOriginHeader(false))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            c.closed = true;
                            return;
                        }
                        c.ws = ar.result();
                        c.ws.handler(c::onMessage);
                        c.ws.closeHandler(v -> c.closed = true);
                        c.ws.writeTextMessage("{\"op\":\"subscribe\",\"topics\":[\"" + prefix + "-" + c.room
                                + "\"],\"ref\":\"sub\"}");
                    })));
            Main.waitFor(20, () -> main.loop.call(() -> part.stream().allMatch(c -> c.subscribed || c.closed)));
        }
        long failed = main.loop.call(() -> clients.stream().filter(c -> !c.subscribed).count());
        if (failed > 0) {
            throw new IllegalStateException(failed + " of " + n + " WebSocket clients did not subscribe");
        }
        // Each client publishes every 1/rate s, the clients spread evenly over that period.
        long periodMs = Math.max(1, (long) (1000 / rate));
        List<Long> timers = new ArrayList<>();
        main.loop.run(() -> {
            for (int i = 0; i < n; i++) {
                Client c = clients.get(i);
                long delay = 1 + periodMs * i / n;
                main.loop.vertx.setTimer(delay, id -> timers.add(main.loop.vertx.setPeriodic(periodMs, p -> publish(c, prefix))));
            }
        });
        Loop.sleep(opt.number("warmup", 5));
        Window w = new Window(main.serverPids, main.redisPids, main.loop, main.recorder);
        w.start();
        long a0 = main.loop.call(() -> sum(next));
        Loop.sleep(opt.number("duration", 20));
        w.end(out);
        long a1 = main.loop.call(() -> sum(next));
        main.loop.run(() -> timers.forEach(main.loop.vertx::cancelTimer));
        out.put("publish_rate", (a1 - a0) / (Double) out.get("window_s"));
        Main.waitFor(10, () -> main.loop.call(() -> clients.stream()
                .allMatch(c -> c.closed || c.received >= acked[c.room].cardinality())));
        main.loop.run(() -> {
            long lost = 0;
            long dup = 0;
            long closed = 0;
            long acks = 0;
            for (BitSet a : acked) {
                acks += a.cardinality();
            }
            for (Client c : clients) {
                BitSet missing = (BitSet) acked[c.room].clone();
                missing.andNot(c.seen);
                lost += missing.cardinality();
                dup += c.duplicates;
                closed += c.closed ? 1 : 0;
            }
            out.put("published", sum(next)).put("acked", acks).put("errors", errors)
                    .put("lost", lost).put("duplicates", dup).put("disconnected", closed);
        });
    }

    private void publish(Client c, String prefix) {
        if (c.closed) {
            return;
        }
        long seq = next[c.room]++;
        c.ws.writeTextMessage("{\"op\":\"publish\",\"topic\":\"" + prefix + "-" + c.room + "\",\"type\":\"m\",\"data\":"
                + Publisher.data(seq, System.nanoTime()) + ",\"ref\":" + seq + "}");
    }

    private static long sum(long[] values) {
        long s = 0;
        for (long v : values) {
            s += v;
        }
        return s;
    }

    private static boolean startsWith(ByteBuf b, int from, int end, String prefix) {
        if (end - from < prefix.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            if (b.getByte(from + k) != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Index after {@code "<key>":}, or -1. */
    private static int find(ByteBuf b, int from, int end, char key) {
        for (int k = from; k + 4 <= end; k++) {
            if (b.getByte(k) == '"' && b.getByte(k + 1) == key && b.getByte(k + 2) == '"' && b.getByte(k + 3) == ':') {
                return k + 4;
            }
        }
        return -1;
    }

    /** Index after {@code "ref":}, or -1. */
    private static int findRef(ByteBuf b, int from, int end) {
        for (int k = end - 7; k >= from; k--) {
            if (b.getByte(k) == '"' && b.getByte(k + 1) == 'r' && b.getByte(k + 2) == 'e' && b.getByte(k + 3) == 'f'
                    && b.getByte(k + 4) == '"' && b.getByte(k + 5) == ':') {
                return k + 6;
            }
        }
        return -1;
    }

    private static long number(ByteBuf b, int at, int end) {
        long v = 0;
        for (int k = at; k < end; k++) {
            int d = b.getByte(k) - '0';
            if (d < 0 || d > 9) {
                break;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
