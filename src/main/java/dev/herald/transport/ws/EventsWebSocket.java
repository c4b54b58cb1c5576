package dev.herald.transport.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.broker.Broker;
import dev.herald.config.HeraldConfig;
import dev.herald.hub.Hub;
import dev.herald.ops.ConnectionLimits;
import dev.herald.ops.Drain;
import dev.herald.ops.HeraldMetrics;
import dev.herald.presence.PresenceTracker;
import dev.herald.publish.PublishParser;
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

    final Hub hub;
    final Broker broker;
    final TopicAuthorizer authorizer;
    final Drain drain;
    final HeraldMetrics metrics;
    final ConnectionLimits limits;
    final PresenceTracker presence;
    final HeraldConfig.Ws settings;
    final int maxTopics;
    final WsRequest.Parser parser;
    final PublishParser publishParser;
    final WsJobs jobs;

    public EventsWebSocket(Hub hub, Broker broker, TopicAuthorizer authorizer, Drain drain, HeraldMetrics metrics,
                           ConnectionLimits limits, PresenceTracker presence, HeraldConfig config,
                           ObjectMapper mapper, WsJobs jobs) {
        this.jobs = jobs;
        this.hub = hub;
        this.broker = broker;
        this.authorizer = authorizer;
        this.drain = drain;
        this.metrics = metrics;
        this.limits = limits;
        this.presence = presence;
        this.settings = config.ws();
        this.maxTopics = config.subscription().maxTopics();
        this.parser = new WsRequest.Parser(mapper, maxTopics);
        this.publishParser = new PublishParser(mapper, config.publish());
    }

    @OnOpen
    @NonBlocking
    void open(WebSocketConnection connection) {
        WsSession session = new WsSession(this, connection, Vertx.currentContext());
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
            session.close(WsSession.UNSUPPORTED_DATA, "binary frames are not supported; send JSON text frames");
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
            session.close(WsSession.TOO_BIG, "message too big: at most " + settings.maxMessageBytes() + " bytes");
            return;
        }
        LOG.debugf("WebSocket %s failed: %s", connection.id(), failure.toString());
        session.close(WsSession.INTERNAL_ERROR, "internal error");
    }
}
