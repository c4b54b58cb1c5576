package dev.herald.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * HTTP/1.x written by hand on a socket, for requests no well-behaved client sends (ambiguous framing,
 * missing Host, bodies that stop half way).
 */
public final class RawHttp implements AutoCloseable {

    /** What came back: the bytes read, and whether the server closed the connection (EOF) before the read timed out. */
    public record Answer(String text, boolean closed) {
        public int status() {
            if (!text.startsWith("HTTP/1.")) {
                return -1;
            }
            return Integer.parseInt(text.substring(9, 12));
        }

        /** How many responses the text holds. */
        public int responses() {
            int count = 0;
            for (int i = text.indexOf("HTTP/1."); i >= 0; i = text.indexOf("HTTP/1.", i + 1)) {
                count++;
            }
            return count;
        }
    }

    private final Socket socket;

    private RawHttp(Socket socket) {
        this.socket = socket;
    }

    public static RawHttp connect(URI base) {
        try {
            Socket socket = new Socket(base.getHost(), base.getPort());
            socket.setSoTimeout(5000);
            return new RawHttp(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawHttp send(String text) {
        try {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads until the server closes the connection or nothing arrives for {@code quiet}. */
    public Answer read(Duration quiet) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean closed = false;
        try {
            socket.setSoTimeout((int) quiet.toMillis());
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            while (true) {
                int n = in.read(buffer);
                if (n < 0) {
                    closed = true;
                    break;
                }
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // quiet for long enough
        } catch (IOException e) {
            closed = true; // reset by the server
        }
        return new Answer(out.toString(StandardCharsets.UTF_8), closed);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
