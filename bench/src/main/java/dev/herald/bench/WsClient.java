package dev.herald.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One WebSocket connection over a raw TCP socket (RFC 6455), for the load generator: writes the
 * upgrade request by hand, checks the 101 and its {@code Sec-WebSocket-Accept}, then parses the
 * server's frames byte by byte in place across reads. A text message's payload is gathered into one
 * reusable per-connection array (grown when a message is bigger) and handed to {@link #onText}: one
 * copy, no allocation per frame, no UTF-8 validation. Fragmented messages are reassembled (control
 * frames may come between their fragments); pings are answered with a pong of the same payload; a
 * close is answered and marks the connection closed. Frames to the server are masked text frames.
 * No extension is offered, so the server never compresses.
 */
abstract class WsClient {

    private static final int HEAD = 0;
    private static final int FRAME_HEAD = 1;
    private static final int FRAME_LEN = 2;
    private static final int FRAME_EXT_LEN = 3;
    private static final int PAYLOAD = 4;
    private static final int DONE = 5;

    private static final int OP_CONTINUATION = 0;
    private static final int OP_TEXT = 1;
    private static final int OP_BINARY = 2;
    private static final int OP_CLOSE = 8;
    private static final int OP_PING = 9;
    private static final int OP_PONG = 10;

    /** Larger messages are a protocol error (the server's own limit is far below). */
    private static final long MAX_MESSAGE = 16 << 20;
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    NetSocket socket;
    /** The upgrade succeeded (101 with the right accept key). */
    boolean open;
    /** The upgrade failed or the server broke the protocol ({@link #failure} says how). */
    boolean failed;
    String failure;
    /** The server sent a close frame or the connection ended. */
    boolean closed;
    /** The server's close code (1005: none given) and reason, if it sent a close frame. */
    int closeCode = -1;
    String closeReason;
    /** Binary messages received (Herald sends none; they are skipped). */
    long binaryMessages;
    long pings;
    /** Socket reads and text messages received (how many messages one read carries). */
    long reads;
    long textMessages;

    private String expectedAccept;
    private int phase = HEAD;
    private byte[] line = new byte[256];
    private int lineLen;
    private boolean statusChecked;
    private boolean acceptChecked;
    private boolean extensions;

    private int frameOp;
    private boolean fin;
    private int extLeft;
    private long payloadLeft;
    /** The opcode of the message being gathered (text or binary), or -1 between messages. */
    private int messageOp = -1;
    private byte[] message = new byte[512];
    private int messageLen;
    private final byte[] control = new byte[125];
    private int controlLen;
    private boolean closeSent;

    /** One complete text message, {@code payload[0..length)}; the array is reused after the call returns. */
    abstract void onText(byte[] payload, int length);

    /** The upgrade succeeded; frames may be sent from now on. */
    abstract void onOpen();

    /** The upgrade request, with a fresh random key; {@code token} (null: none) as {@code Authorization: Bearer}. */
    Buffer request(String host, int port, String path, String token) {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        try {
            expectedAccept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return Buffer.buffer("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                + "\r\nSec-WebSocket-Version: 13\r\n" + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                + "\r\n");
    }

    /** Sends one masked text frame (FIN set). */
    void sendText(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        send(0x80 | OP_TEXT, payload, payload.length);
    }

    void handle(Buffer buffer) {
        handle(buffer.getByteBuf());
    }

    /** One read from the socket; the caller keeps ownership of {@code b}. */
    void handle(ByteBuf b) {
        reads++;
        int i = b.readerIndex();
        int end = b.writerIndex();
        while (i < end) {
            switch (phase) {
                case HEAD -> {
                    byte c = b.getByte(i++);
                    if (c == '\n') {
                        headLine();
                        lineLen = 0;
                    } else if (c != '\r') {
                        if (lineLen == line.length) {
                            line = Arrays.copyOf(line, line.length * 2);
                        }
                        line[lineLen++] = c;
                    }
                }
                case FRAME_HEAD -> {
                    int c = b.getByte(i++) & 0xFF;
                    if ((c & 0x70) != 0) {
                        fail("frame with RSV bits set (no extension was negotiated)");
                        return;
                    }
                    fin = (c & 0x80) != 0;
                    frameOp = c & 0x0F;
                    phase = FRAME_LEN;
                }
                case FRAME_LEN -> {
                    int c = b.getByte(i++) & 0xFF;
                    if ((c & 0x80) != 0) {
                        fail("masked frame from the server");
                        return;
                    }
                    int len = c & 0x7F;
                    payloadLeft = 0;
                    if (len == 126 || len == 127) {
                        extLeft = len == 126 ? 2 : 8;
                        phase = FRAME_EXT_LEN;
                    } else {
                        payloadLeft = len;
                        startPayload();
                    }
                }
                case FRAME_EXT_LEN -> {
                    payloadLeft = (payloadLeft << 8) | (b.getByte(i++) & 0xFF);
                    if (--extLeft == 0) {
                        startPayload();
                    }
                }
                case PAYLOAD -> {
                    int n = (int) Math.min(payloadLeft, end - i);
                    if (frameOp >= OP_CLOSE) {
                        b.getBytes(i, control, controlLen, n);
                        controlLen += n;
                    } else {
                        b.getBytes(i, message, messageLen, n);
                        messageLen += n;
                    }
                    i += n;
                    payloadLeft -= n;
                    if (payloadLeft == 0) {
                        endFrame();
                    }
                }
                default -> i = end;
            }
        }
    }

    /** One line of the response head (without CR LF). */
    private void headLine() {
        if (!statusChecked) {
            statusChecked = true;
            if (!startsWith("HTTP/1.1 101")) {
                fail("upgrade refused: " + new String(line, 0, lineLen, StandardCharsets.ISO_8859_1));
            }
            return;
        }
        if (lineLen == 0) {
            if (!acceptChecked) {
                fail("no or wrong Sec-WebSocket-Accept");
            } else if (extensions) {
                fail("the server chose an extension that was not offered");
            } else {
                open = true;
                phase = FRAME_HEAD;
                onOpen();
            }
            return;
        }
        String header = new String(line, 0, lineLen, StandardCharsets.ISO_8859_1);
        int colon = header.indexOf(':');
        if (colon < 0) {
            return;
        }
        String name = header.substring(0, colon).trim();
        String value = header.substring(colon + 1).trim();
        if (name.equalsIgnoreCase("Sec-WebSocket-Accept")) {
            acceptChecked = value.equals(expectedAccept);
        } else if (name.equalsIgnoreCase("Sec-WebSocket-Extensions") && !value.isEmpty()) {
            extensions = true;
        }
    }

    /** After the length: checks the frame, makes room for its payload. */
    private void startPayload() {
        if (frameOp >= OP_CLOSE) {
            if (frameOp > OP_PONG || !fin || payloadLeft > 125) {
                fail("bad control frame: opcode " + frameOp + ", fin " + fin + ", length " + payloadLeft);
                return;
            }
            controlLen = 0;
        } else if (frameOp == OP_TEXT || frameOp == OP_BINARY) {
            if (messageOp >= 0) {
                fail("a new message inside a fragmented one");
                return;
            }
            messageOp = frameOp;
            messageLen = 0;
        } else if (frameOp == OP_CONTINUATION) {
            if (messageOp < 0) {
                fail("continuation frame outside a message");
                return;
            }
        } else {
            fail("reserved opcode " + frameOp);
            return;
        }
        if (frameOp < OP_CLOSE) {
            long need = messageLen + payloadLeft;
            if (payloadLeft < 0 || need > MAX_MESSAGE) {
                fail("message too big: " + need + " bytes");
                return;
            }
            if (need > message.length) {
                message = Arrays.copyOf(message, (int) Math.min(MAX_MESSAGE, Math.max(need, message.length * 2L)));
            }
        }
        phase = PAYLOAD;
        if (payloadLeft == 0) {
            endFrame();
        }
    }

    private void endFrame() {
        phase = FRAME_HEAD;
        switch (frameOp) {
            case OP_PING -> {
                pings++;
                if (!closeSent) {
                    send(0x80 | OP_PONG, control, controlLen);
                }
            }
            case OP_PONG -> {
            }
            case OP_CLOSE -> {
                closeCode = controlLen >= 2 ? ((control[0] & 0xFF) << 8) | (control[1] & 0xFF) : 1005;
                closeReason = controlLen > 2 ? new String(control, 2, controlLen - 2, StandardCharsets.UTF_8) : "";
                closed = true;
                phase = DONE;
                if (!closeSent) {
                    // Echo the code; the server then ends the TCP connection.
                    send(0x80 | OP_CLOSE, control, Math.min(controlLen, 2));
                    closeSent = true;
                }
            }
            default -> {
                if (fin) {
                    if (messageOp == OP_TEXT) {
                        textMessages++;
                        onText(message, messageLen);
                    } else {
                        binaryMessages++;
                    }
                    messageOp = -1;
                    messageLen = 0;
                }
            }
        }
    }

    /** One masked frame; {@code first} is the FIN bit and opcode. */
    private void send(int first, byte[] payload, int length) {
        int header = 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8);
        byte[] frame = new byte[header + 4 + length];
        frame[0] = (byte) first;
        if (length < 126) {
            frame[1] = (byte) (0x80 | length);
        } else if (length < 65536) {
            frame[1] = (byte) (0x80 | 126);
            frame[2] = (byte) (length >>> 8);
            frame[3] = (byte) length;
        } else {
            frame[1] = (byte) (0x80 | 127);
            for (int k = 0; k < 8; k++) {
                frame[2 + k] = (byte) ((long) length >>> (56 - 8 * k));
            }
        }
        int mask = ThreadLocalRandom.current().nextInt();
        for (int k = 0; k < 4; k++) {
            frame[header + k] = (byte) (mask >>> (24 - 8 * k));
        }
        int at = header + 4;
        for (int k = 0; k < length; k++) {
            frame[at + k] = (byte) (payload[k] ^ frame[header + (k & 3)]);
        }
        socket.write(Buffer.buffer(Unpooled.wrappedBuffer(frame)));
    }

    private void fail(String why) {
        if (!failed) {
            failed = true;
            failure = why;
        }
        closed = true;
        phase = DONE;
        if (socket != null) {
            socket.close();
        }
    }

    private boolean startsWith(String prefix) {
        return Bytes.startsWith(line, lineLen, prefix);
    }
}
