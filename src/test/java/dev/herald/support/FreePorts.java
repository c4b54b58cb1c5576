package dev.herald.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Free TCP ports for the processes tests start (Herald nodes, redis-server, nats-server), probed on loopback only. */
public final class FreePorts {

    private FreePorts() {
    }

    /** Ports handed out so far: never twice, so that processes started side by side cannot get the same. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A port nothing listens on right now: the operating system picks it for a loopback socket that is
     * closed at once, so the process started next can bind it. Never one it handed out before.
     */
    public static int next() {
        for (int attempt = 0; attempt < 1000; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free loopback port", e);
            }
        }
        throw new IllegalStateException("no loopback port left that was not handed out before");
    }
}
