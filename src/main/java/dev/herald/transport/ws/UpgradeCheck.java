package dev.herald.transport.ws;

import dev.herald.auth.TokenExtractor;
import dev.herald.config.HeraldConfig;
import dev.herald.ops.Drain;
import dev.herald.auth.AllowedOrigins;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.netty.channel.Channel;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;

/**
 * Decides a WebSocket upgrade before the socket exists: refuses foreign origins (403) and upgrades
 * while the node drains (503), takes the request's token along for the session to verify, and puts
 * {@link FrameGuard} on the connection.
 */
@ApplicationScoped
public class UpgradeCheck implements HttpUpgradeCheck {

    static final UserData.TypedKey<String> TOKEN = new UserData.TypedKey<>("herald.token");
    static final UserData.TypedKey<io.quarkus.vertx.http.runtime.filters.QuarkusRequestWrapper> REQUEST =
            new UserData.TypedKey<>("herald.upgrade-request");
    /** The connection's Netty channel, for writing frames below Vert.x (see {@link RawFrames}). */
    static final UserData.TypedKey<Channel> CHANNEL = new UserData.TypedKey<>("herald.channel");

    private final AllowedOrigins origins;
    private final Drain drain;
    private final int maxMessageBytes;

    public UpgradeCheck(AllowedOrigins origins, Drain drain, HeraldConfig config) {
        this.origins = origins;
        this.drain = drain;
        this.maxMessageBytes = config.ws().maxMessageBytes();
    }

    @Override
    public boolean appliesTo(String endpointId) {
        return endpointId.equals(EventsWebSocket.class.getName());
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        if (!originAllowed(request)) {
            return CheckResult.rejectUpgrade(403);
        }
        if (!drain.accepting()) {
            return CheckResult.rejectUpgrade(503, Map.of("Retry-After",
                    List.of(String.valueOf(Math.max(1, drain.jitteredRetry().toSeconds())))));
        }
        var wrapper = UpgradeRequests.wrapperOf(request);
        if (wrapper != null) {
            context.userData().put(REQUEST, wrapper);
        }
        if (request.connection() instanceof ConnectionBase connection) {
            context.userData().put(CHANNEL, connection.channel());
            // Protocol violations get their close code (1009, 1007, 1002) instead of a bare FIN.
            FrameGuard.install(connection.channel(), maxMessageBytes);
        }
        String token = TokenExtractor.extract(request, origins);
        if (token != null) {
            context.userData().put(TOKEN, token);
        }
        return CheckResult.permitUpgrade();
    }

    /**
     * Cross-site WebSocket hijacking: browsers send cookies with a WebSocket upgrade from any site, and
     * the same-origin policy does not apply to WebSockets. An upgrade that carries an {@code Origin} must
     * come from this server's own origin or an allowed one; under {@code *} any origin may connect, but
     * its cookie does not authenticate it (see {@link AllowedOrigins#cookieTrusted}).
     */
    private boolean originAllowed(HttpServerRequest request) {
        return origins.mayUpgrade(request);
    }
}
