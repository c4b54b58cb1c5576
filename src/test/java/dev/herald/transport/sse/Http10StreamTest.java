package dev.herald.transport.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.0 has no chunked transfer coding (RFC 9112 §7.1): a response to an HTTP/1.0 request is
 * delimited by the closing of the connection. Streams that wrote pre-framed chunks below Vert.x sent
 * their chunk sizes ({@code 8e\r\n…\r\n}) as part of the body to {@code curl --http1.0}, which broke
 * every event for such a client or a proxy that speaks HTTP/1.0 upstream. Sent here byte for byte over
 * a plain socket, as no HTTP client library of the JDK speaks HTTP/1.0.
 */
@QuarkusTest
class Http10StreamTest {

    /** A line that is nothing but a hexadecimal number: a chunk size, not an SSE line. */
    private static final Pattern CHUNK_SIZE = Pattern.compile("[0-9a-fA-F]+");
    /** The stream ends when this token expires; the connection must close then. */
    private static final long TOKEN_SECONDS = 8;
    private static final int READ_TIMEOUT_MILLIS = 15_000;

    @TestHTTPResource("/")
    URI base;

    @Test
    void anHttp10StreamIsAPlainBodyWithoutChunkSizesAndClosesAtItsEnd() throws IOException {
        streamOverHttp10(false);
    }

    /**
     * An HTTP/1.0 client may ask to keep the connection alive, but a body without length or chunks can
     * end only with the connection: the node closes it at the end of the stream all the same.
     */
    @Test
    void anHttp10StreamThatAsksForKeepAliveStillEndsByClosingTheConnection() throws IOException {
        streamOverHttp10(true);
    }

    /** Long polls never write raw chunks: their answer has a length, also over HTTP/1.0. */
    @Test
    void anHttp10LongPollIsAnsweredWithALengthAndWithoutChunkSizes() throws IOException {
        String topic = HttpApi.topic("http10-poll");
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            InputStream in = get10(socket, "/v1/poll?timeout=0&topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8),
                    "Authorization: Bearer " + TestTokens.admin() + "\r\n");
            List<String> headers = headersOf200(in);
            assertTrue(headers.stream().anyMatch(h -> h.startsWith("content-length:")), headers.toString());
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(body.startsWith("{\"events\":["), body);
        }
    }

    private void streamOverHttp10(boolean keepAlive) throws IOException {
        String topic = HttpApi.topic("http10");
        String token = TestTokens.expiringIn("http10-reader", TOKEN_SECONDS);
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            InputStream in = get10(socket, "/v1/stream?topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8),
                    "Accept: text/event-stream\r\n"
                    + "Authorization: Bearer " + token + "\r\n"
                    + (keepAlive ? "Connection: keep-alive\r\n" : ""));

            List<String> headers = headersOf200(in);
            assertFalse(headers.stream().anyMatch(h -> h.startsWith("transfer-encoding:")), headers.toString());
            assertFalse(headers.contains("connection: keep-alive"), "the body ends with the connection: " + headers);
            assertTrue(headers.stream().anyMatch(h -> h.startsWith("content-type: text/event-stream")),
                    headers.toString());

            // The preamble (retry:, maybe id:) ends with a blank line: the subscription is live.
            List<String> body = new ArrayList<>();
            for (String l = line(in); !l.isEmpty(); l = line(in)) {
                body.add(l);
            }
            List<String> ids = List.of(HttpApi.publishOk(TestTokens.admin(), topic, "m", "1"),
                    HttpApi.publishOk(TestTokens.admin(), topic, "m", "{\"text\":\"" + "x".repeat(300) + "\"}"),
                    HttpApi.publishOk(TestTokens.admin(), topic, "m", "3"));

            try {
                body.addAll(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            } catch (SocketTimeoutException e) {
                fail("the connection was not closed at the end of the stream (token expiry); read so far: " + body);
            }

            List<String> chunkSizes = body.stream().filter(l -> CHUNK_SIZE.matcher(l.strip()).matches()).toList();
            assertEquals(List.of(), chunkSizes, "chunk framing in an HTTP/1.0 body: " + body);
            List<String> data = body.stream().filter(l -> l.startsWith("data: {\"id\":")).toList();
            assertEquals(ids.size(), data.size(), "every event arrives once, as a data line: " + body);
            for (int i = 0; i < ids.size(); i++) {
                assertTrue(data.get(i).startsWith("data: {\"id\":\"" + ids.get(i) + "\""), data.get(i));
            }
            assertTrue(body.contains("event: herald.token-expired"), "the stream ended at the token's expiry: " + body);
            assertTrue(body.stream().allMatch(l -> l.isEmpty() || l.startsWith("data: ") || l.startsWith("id: ")
                    || l.startsWith("event: ") || l.startsWith("retry: ") || l.startsWith(":")),
                    "only SSE lines: " + body);
        }
    }

    /** Sends {@code GET target HTTP/1.0} with a Host header and {@code headers} (each ending in CR LF). */
    private InputStream get10(Socket socket, String target, String headers) throws IOException {
        String request = "GET " + target + " HTTP/1.0\r\n"
                + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                + headers + "\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket.getInputStream();
    }

    /** Reads the status line, which must be an HTTP/1.0 200, and returns the header lines in lower case. */
    private static List<String> headersOf200(InputStream in) throws IOException {
        String status = line(in);
        assertTrue(status.startsWith("HTTP/1.0 200"), status);
        List<String> headers = new ArrayList<>();
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            headers.add(h.toLowerCase(Locale.ROOT));
        }
        return headers;
    }

    /** One line of the head or body, without its CR LF (or LF). */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        if (c == -1 && line.size() == 0) {
            throw new IOException("the connection closed early");
        }
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
