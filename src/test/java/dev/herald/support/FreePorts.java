package dev.herald.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports for the processes tests start (Herald nodes, redis-server), probed on loopback only. */
public final class FreePorts {

    private FreePorts() {
    }

    /**
     * A port nothing listens on right now: the operating system picks it for a loopback socket that is
     * closed at once, so the process started next can bind it.
     */
    public static int next() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
