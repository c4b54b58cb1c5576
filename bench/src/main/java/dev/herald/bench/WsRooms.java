package dev.herald.bench;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.net.impl.NetSocketInternal;
import java.nio.charset.StandardCharsets;
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

    private final class Client extends WsClient {
        final int room;
        /** This client's own token (null: auth off), sent with the upgrade. */
        final String token;
        boolean subscribed;
        final BitSet seen = new BitSet();
        long duplicates;
        long received;

        Client(int room, String token) {
            this.room = room;
            this.token = token;
        }

        @Override
        void onOpen() {
            sendText("{\"op\":\"subscribe\",\"topics\":[\"" + prefix + "-" + room + "\"],\"ref\":\"sub\"}");
        }

        @Override
        void onText(byte[] m, int end) {
            if (Bytes.startsWith(m, end, "{\"type\":\"event\"")) {
                // "s" then "t" inside the data (Publisher.data), after the 15 bytes just matched.
                int s = Bytes.find(m, 15, end, 's');
                int t = s < 0 ? -1 : Bytes.find(m, s, end, 't');
                if (s < 0 || t < 0) {
                    main.recorder.notices++;
                    return;
                }
                int seq = (int) Bytes.number(m, s, end);
                if (seen.get(seq)) {
                    duplicates++;
                    return;
                }
                seen.set(seq);
                received++;
                main.recorder.delivered(Bytes.number(m, t, end));
            } else if (Bytes.startsWith(m, end, "{\"type\":\"ack\"")) {
                int ref = findRef(m, end);
                if (ref >= 0) {
                    acked[room].set((int) Bytes.number(m, ref, end));
                }
            } else if (Bytes.startsWith(m, end, "{\"type\":\"subscribed\"")) {
                subscribed = true;
            } else if (Bytes.startsWith(m, end, "{\"type\":\"error\"")) {
                if (errors++ < 5) {
                    System.err.println("W6 error reply: " + new String(m, 0, end, StandardCharsets.UTF_8));
                }
            }
        }
    }

    private String prefix;
    private BitSet[] acked;
    private long[] next;
    private long errors;

    void run(JsonLine out) {
        Options opt = main.opt;
        int n = opt.integer("clients", 1_000);
        int rooms = opt.integer("rooms", 10);
        double rate = opt.number("rate", 1);
        prefix = "room" + main.runId();
        out.put("clients", n).put("rooms", rooms).put("rate_per_client", rate);
        acked = new BitSet[rooms];
        next = new long[rooms];
        for (int r = 0; r < rooms; r++) {
            acked[r] = new BitSet();
        }
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clients.add(new Client(i % rooms, main.tokens.webSocket(i)));
        }
        int batch = 100;
        for (int from = 0; from < n; from += batch) {
            List<Client> part = clients.subList(from, Math.min(n, from + batch));
            int base = from;
            main.loop.run(() -> {
                for (int k = 0; k < part.size(); k++) {
                    connect(part.get(k), base + k);
                }
            });
            Main.waitFor(20, () -> main.loop.call(() -> part.stream().allMatch(c -> c.subscribed || c.closed)));
        }
        long failed = main.loop.call(() -> clients.stream().filter(c -> !c.subscribed).count());
        if (failed > 0) {
            String why = main.loop.call(() -> clients.stream().filter(c -> !c.subscribed)
                    .map(c -> c.failure != null ? c.failure : c.closeCode >= 0 ? "closed " + c.closeCode + " " + c.closeReason
                            : c.closed ? "connection closed" : "no subscribed reply")
                    .findFirst().orElse(""));
            throw new IllegalStateException(failed + " of " + n + " WebSocket clients did not subscribe (" + why + ")");
        }
        // Each client publishes every 1/rate s, the clients spread evenly over that period.
        long periodMs = Math.max(1, (long) (1000 / rate));
        List<Long> timers = new ArrayList<>();
        main.loop.run(() -> {
            for (int i = 0; i < n; i++) {
                Client c = clients.get(i);
                long delay = 1 + periodMs * i / n;
                main.loop.vertx.setTimer(delay, id -> timers.add(main.loop.vertx.setPeriodic(periodMs, p -> publish(c))));
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
            int told = 0;
            long pings = 0;
            long reads = 0;
            long messages = 0;
            for (Client c : clients) {
                pings += c.pings;
                reads += c.reads;
                messages += c.textMessages;
                if (c.closed && told++ < 5) {
                    System.err.println("W6 client closed: " + (c.failure != null ? c.failure
                            : c.closeCode >= 0 ? "close frame " + c.closeCode + " " + c.closeReason : "connection ended"));
                }
                BitSet missing = (BitSet) acked[c.room].clone();
                missing.andNot(c.seen);
                lost += missing.cardinality();
                dup += c.duplicates;
                closed += c.closed ? 1 : 0;
            }
            out.put("published", sum(next)).put("acked", acks).put("errors", errors)
                    .put("lost", lost).put("duplicates", dup).put("disconnected", closed);
            System.err.println("W6 server pings answered: " + pings + "; socket reads: " + reads + ", text messages: "
                    + messages + " (whole run)");
        });
    }

    /** On the loop: the connections are spread over the generator's loopback source addresses. */
    private void connect(Client c, int index) {
        main.clients.get(index % main.clients.size()).connect(main.ports[0], main.host).onComplete(ar -> {
            if (ar.failed()) {
                c.failed = true;
                c.failure = String.valueOf(ar.cause());
                c.closed = true;
                return;
            }
            c.socket = ar.result();
            // The socket's reads as Netty gives them: without the heap copy and Buffer that
            // NetSocket.handler costs per read (most reads here carry one to a few small frames).
            ((NetSocketInternal) c.socket).messageHandler(msg -> {
                if (msg instanceof ByteBuf b) {
                    try {
                        main.recorder.now = System.nanoTime();
                        c.handle(b);
                    } finally {
                        b.release();
                    }
                } else {
                    ReferenceCountUtil.release(msg);
                }
            });
            c.socket.closeHandler(v -> c.closed = true);
            c.socket.write(c.request(main.host, main.ports[0], "/v1/ws", c.token));
        });
    }

    private void publish(Client c) {
        if (c.closed) {
            return;
        }
        long seq = next[c.room]++;
        c.sendText("{\"op\":\"publish\",\"topic\":\"" + prefix + "-" + c.room + "\",\"type\":\"m\",\"data\":"
                + Publisher.data(seq, System.nanoTime()) + ",\"ref\":" + seq + "}");
    }

    private static long sum(long[] values) {
        long s = 0;
        for (long v : values) {
            s += v;
        }
        return s;
    }



    /** Index after {@code "ref":}, or -1. */
    private static int findRef(byte[] m, int end) {
        for (int k = end - 7; k >= 0; k--) {
            if (m[k] == '"' && m[k + 1] == 'r' && m[k + 2] == 'e' && m[k + 3] == 'f' && m[k + 4] == '"'
                    && m[k + 5] == ':') {
                return k + 6;
            }
        }
        return -1;
    }

}
