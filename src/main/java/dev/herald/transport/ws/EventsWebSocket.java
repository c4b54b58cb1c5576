package dev.herald.transport.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ErrorCode;
import dev.herald.config.HeraldConfig;
import dev.herald.ops.ConnectionLimits;
import dev.herald.ops.Drain;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.presence.PresenceTracker;
import dev.herald.publish.Publisher;
import dev.herald.transport.Admission;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnPingMessage;
import io.quarkus.websockets.next.OnPongMessage;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.jboss.logging.Logger;

/**
 * {@code GET /v1/ws}: the WebSocket transport (README, "WebSocket (`/v1/ws`)"). This class only routes the
 * connection's callbacks to its {@link WsSession}, which speaks the protocol; every callback runs on
 * the connection's event loop and never blocks (token verification goes to a worker).
 */
@WebSocket(path = "/v1/ws")
public class EventsWebSocket {

    private static final Logger LOG = Logger.getLogger(EventsWebSocket.class);
    private static final UserData.TypedKey<WsSession> SESSION = new UserData.TypedKey<>("herald.session");

    private final WsServices services;

    public EventsWebSocket(Admission admission, Publisher publisher, ConnectionLimits limits, PresenceTracker presence,
                           Drain drain, HeraldMetrics metrics, HeraldConfig config, ObjectMapper mapper, WsJobs jobs) {
        int maxTopics = config.subscription().maxTopics();
        this.services = new WsServices(admission, publisher, limits, presence, drain, metrics, config.ws(), maxTopics,
                new WsRequest.Parser(mapper, maxTopics), jobs);
    }

    @OnOpen
    @NonBlocking
    void open(WebSocketConnection connection) {
        WsSession session = new WsSession(services, connection, Vertx.currentContext());
        connection.userData().put(SESSION, session);
        session.open();
    }

    @OnTextMessage
    @NonBlocking
    void text(WebSocketConnection connection, String message) {
        WsSession session = connection.userData().get(SESSION);
        if (session != null) {
            session.onText(message);
        }
    }

    /** The protocol is JSON text; a binary frame is refused outright (1003 unsupported data). */
    @OnBinaryMessage
    @NonBlocking
    void binary(WebSocketConnection connection, Buffer message) {
        WsSession session = connection.userData().get(SESSION);
        if (session != null) {
            session.close(ErrorCode.BINARY_FRAME, "binary frames are not supported; send JSON text frames");
        }
    }

    @OnPingMessage
    @NonBlocking
    void ping(WebSocketConnection connection, Buffer data) {
        WsSession session = connection.userData().get(SESSION);
        if (session != null) {
            session.onPing();
        }
    }

    @OnPongMessage
    @NonBlocking
    void pong(WebSocketConnection connection, Buffer data) {
        WsSession session = connection.userData().get(SESSION);
        if (session != null) {
            session.touch();
        }
    }

    @OnClose
    @NonBlocking
    void close(WebSocketConnection connection, CloseReason reason) {
        WsSession session = connection.userData().get(SESSION);
        if (session != null) {
            session.closed();
        }
    }

    @OnError
    @NonBlocking
    void error(WebSocketConnection connection, Throwable failure) {
        WsSession session = connection.userData().get(SESSION);
        if (session == null) {
            return;
        }
        // Vert.x refuses a message of many frames over quarkus.websockets-next.server.max-message-size
        // (set from herald.ws.max-message-bytes) with this exception, without closing; 1009 says why.
        // A single frame over it never gets here: FrameGuard answers it below Vert.x.
        if (failure instanceof IllegalStateException && String.valueOf(failure.getMessage()).contains("max message size")) {
            session.close(ErrorCode.PAYLOAD_TOO_LARGE, "message too big: at most " + services.settings().maxMessageBytes() + " bytes");
            return;
        }
        LOG.debugf("WebSocket %s failed: %s", connection.id(), failure.toString());
        session.close(ErrorCode.INTERNAL, "internal error");
    }
}
