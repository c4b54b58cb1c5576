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

    /**
     * Reads one whole response (status line, headers and a {@code Content-Length} body; a 1xx has none),
     * or until the server closes the connection or {@code max} passes: for answers on connections that
     * stay open, where {@link #read} would wait out its quiet time.
     */
    public Answer readResponse(Duration max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + max.toNanos();
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            while (!complete(out.toString(StandardCharsets.ISO_8859_1))) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                socket.setSoTimeout((int) Math.max(1, left));
                int n = in.read(buffer);
                if (n < 0) {
                    return new Answer(out.toString(StandardCharsets.UTF_8), true);
                }
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // max passed
        } catch (IOException e) {
            return new Answer(out.toString(StandardCharsets.UTF_8), true);
        }
        return new Answer(out.toString(StandardCharsets.UTF_8), false);
    }

    private static boolean complete(String text) {
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        if (text.startsWith("HTTP/1.1 1") || text.startsWith("HTTP/1.0 1")) {
            return true;
        }
        for (String line : text.substring(0, end).split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                return text.length() - (end + 4) >= Integer.parseInt(line.substring(15).trim());
            }
        }
        return false;
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
