package dev.herald.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy that can play a network partition: after {@link #blackhole()} every byte is
 * silently dropped, in both directions, and no side sees a FIN or an RST, so both ends believe the
 * connection is fine (half-open). Connections that were black-holed stay dead; after {@link #heal()}
 * only new connections are forwarded, as after a partition whose old flows were dropped by the
 * network or the server. {@link #cut()} plays the other kind of outage, the one both ends notice.
 * Everything it starts ends with {@link #close()}.
 */
public final class BlackholeProxy implements AutoCloseable {

    private final int targetPort;
    private final ServerSocket server;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile boolean partitioned;
    private boolean refusing;
    private volatile boolean closed;

    private BlackholeProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("blackhole-accept").start(this::accept);
    }

    /** A proxy on a free loopback port to {@code 127.0.0.1:targetPort}. */
    public static BlackholeProxy to(int targetPort) {
        try {
            return new BlackholeProxy(targetPort);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the proxy's port: " + e, e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "redis://127.0.0.1:" + port();
    }

    /** From now on every open connection, and every new one, drops what it gets, without closing. */
    public void blackhole() {
        partitioned = true;
        links.forEach(link -> link.dead = true);
    }

    /**
     * Closes every open connection on both sides (each end sees its socket closed, as when a load
     * balancer drops its flows) and, until {@link #heal()}, closes new ones as soon as they arrive, so
     * that clients which reconnect find the path still down.
     */
    public synchronized void cut() {
        refusing = true;
        links.forEach(Link::closeQuietly);
        links.clear();
    }

    /** New connections are forwarded again; the black-holed ones stay dead. */
    public synchronized void heal() {
        partitioned = false;
        refusing = false;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                synchronized (this) {
                    if (refusing) {
                        client.close();
                        continue;
                    }
                    Link link = new Link(client, partitioned);
                    links.add(link);
                    link.start();
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private final class Link {
        final Socket client;
        Socket upstream;
        volatile boolean dead;

        Link(Socket client, boolean dead) {
            this.client = client;
            this.dead = dead;
        }

        void start() throws IOException {
            if (!dead) {
                upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                Thread.ofVirtual().start(() -> pump(upstream, client));
            }
            Thread.ofVirtual().start(() -> pump(client, upstream));
        }

        /** Copies from {@code in} to {@code out} until either closes; drops everything once dead. */
        void pump(Socket in, Socket out) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream from = in.getInputStream();
                int n;
                while ((n = from.read(buffer)) >= 0) {
                    if (!dead && out != null) {
                        OutputStream to = out.getOutputStream();
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                }
                if (!dead) {
                    closeQuietly();
                }
            } catch (IOException e) {
                if (!dead) {
                    closeQuietly();
                }
            }
        }

        void closeQuietly() {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                if (upstream != null) {
                    upstream.close();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        links.forEach(Link::closeQuietly);
    }
}
