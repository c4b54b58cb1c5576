package dev.herald.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A WebSocket client written on a bare socket, for what well-behaved clients never do: stop reading,
 * never answer pings, vanish without a close frame, send binary or oversized frames, forge an Origin.
 * Frames are read only when the test asks ({@link #read}); pings are not answered.
 */
public final class RawWebSocket implements AutoCloseable {

    /**
     * A frame from the server: opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong), whether RSV1 is set
     * (compressed, when permessage-deflate was negotiated) and payload.
     */
    public record Frame(int opcode, boolean compressed, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }

        /** The reason of a close frame. */
        public String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final int status;
    private final String head;

    private RawWebSocket(URI base, Map<String, String> headers, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
        socket.setSoTimeout(15_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        StringBuilder request = new StringBuilder("GET /v1/ws HTTP/1.1\r\nHost: ")
                .append(base.getHost()).append(':').append(base.getPort())
                .append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(nonce)).append("\r\n");
        headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
        out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        head = readHead(in);
        status = Integer.parseInt(head.split(" ", 3)[1]);
    }

    /** Connects; a small {@code receiveBuffer} (bytes, 0 = default) makes a client that stops reading stall sooner. */
    public static RawWebSocket connect(URI base, Map<String, String> headers, int receiveBuffer) {
        try {
            return new RawWebSocket(base, headers, receiveBuffer);
        } catch (IOException e) {
            throw new AssertionError("cannot connect", e);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed during the handshake");
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** The upgrade answer's status line and headers. */
    public String head() {
        return head;
    }

    /** The HTTP status of the upgrade answer (101 when upgraded). */
    public int status() {
        return status;
    }

    public void sendText(String text) {
        send(1, text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendBinary(byte[] data) {
        send(2, data);
    }

    /** Sends one final, masked frame (clients must mask). */
    public void send(int opcode, byte[] payload) {
        sendFrame(0x80 | opcode, true, payload);
    }

    /**
     * Sends one frame as given, even one that breaks the protocol: {@code first} is the first byte
     * (FIN, RSV1-3 and opcode), {@code masked} false sends it unmasked (which clients must never do).
     */
    public void sendFrame(int first, boolean masked, byte[] payload) {
        write(frame(first, masked, payload));
    }

    /**
     * Sends text frames in one write, so that (small, on loopback) they reach the server in one read, as
     * the frames a client sends at once would.
     */
    public void sendTexts(List<String> texts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String text : texts) {
            all.writeBytes(frame(0x81, true, text.getBytes(StandardCharsets.UTF_8)));
        }
        write(all.toByteArray());
    }

    /** Sends masked frames, each a first byte (as {@link #sendFrame}) and a payload, in one write. */
    public void sendFramesTogether(List<Map.Entry<Integer, byte[]>> frames) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Map.Entry<Integer, byte[]> f : frames) {
            all.writeBytes(frame(f.getKey(), true, f.getValue()));
        }
        write(all.toByteArray());
    }

    private void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new AssertionError("cannot send", e);
        }
    }

    private static byte[] frame(int first, boolean masked, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        int maskBit = masked ? 0x80 : 0;
        frame.write(first);
        if (payload.length < 126) {
            frame.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift) & 0xff);
            }
        }
        byte[] mask = new byte[4];
        if (masked) {
            RANDOM.nextBytes(mask);
            frame.writeBytes(mask);
        }
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        return frame.toByteArray();
    }

    /** Reads the next frame (blocking, up to the socket timeout); null when the connection ended. */
    public Frame read() {
        try {
            int b0 = in.read();
            if (b0 < 0) {
                return null;
            }
            int b1 = in.readUnsignedByte();
            long length = b1 & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            return new Frame(b0 & 0x0f, (b0 & 0x40) != 0, payload);
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads frames until a text frame (skipping pings, which are not answered) or the end. */
    public Frame readText() {
        while (true) {
            Frame f = read();
            if (f == null || f.opcode() == 1 || f.opcode() == 8) {
                return f;
            }
        }
    }

    /** Reads until the close frame (or the end of the stream, 1006); returns the close code. */
    public int awaitCloseCode() {
        Frame close = awaitClose();
        return close == null ? 1006 : close.closeCode();
    }

    /** Reads until the close frame and returns it; null when the stream ended without one. */
    public Frame awaitClose() {
        while (true) {
            Frame f = read();
            if (f == null || f.opcode() == 8) {
                return f;
            }
        }
    }

    /** Drops the connection without a close frame (the peer sees a reset). */
    public void kill() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // gone already
        }
    }
}
