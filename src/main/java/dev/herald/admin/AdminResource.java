package dev.herald.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.auth.AllowedOrigins;
import dev.herald.auth.Principal;
import dev.herald.auth.TokenExtractor;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.ops.Drain;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.jboss.resteasy.reactive.ResponseHeader;

/**
 * The admin page ({@code GET /admin}) and its live feed ({@code GET /admin/stream}, Server-Sent Events):
 * every second this node's {@link NodeSample} and the nodes the broker knows ({@link NodeDirectory}).
 * Both need a token with the claim {@code "admin": true} (header, {@code herald_token} cookie or
 * {@code access_token}), else 401 / 403 problem+json like the API. The page's script and style
 * ({@code /admin.js}, {@code /admin.css}) hold no data and are served to anyone; the topic inspector
 * uses the public API with the same token, so it sees the topics that token may subscribe to.
 */
@Path("/admin")
public class AdminResource {

    /** What {@code /admin/stream} sends each second. */
    @RegisterForReflection
    public record Snapshot(long at, NodeSample self, List<NodeSample> nodes, String clusterError) {
    }

    private final TopicAuthorizer authorizer;
    private final AllowedOrigins origins;
    private final NodeSampler sampler;
    private final NodeDirectory directory;
    private final Drain drain;
    private final ObjectMapper mapper;
    private final String page;

    public AdminResource(TopicAuthorizer authorizer, AllowedOrigins origins, NodeSampler sampler,
                         NodeDirectory directory, Drain drain, ObjectMapper mapper) {
        this.authorizer = authorizer;
        this.origins = origins;
        this.sampler = sampler;
        this.directory = directory;
        this.drain = drain;
        this.mapper = mapper;
        this.page = resource("dev/herald/admin/admin.html");
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    @Blocking
    public Response page(@Context HttpServerRequest http) {
        authorizer.requireAdmin(authorizer.authenticate(TokenExtractor.extract(http, origins)));
        return Response.ok(page)
                .header("Cache-Control", "no-store")
                // The page's own script and style only; no framing (clickjacking); the address may
                // carry ?access_token=..., which must not leave in a Referer.
                .header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
                .header("X-Frame-Options", "DENY")
                .header("Referrer-Policy", "no-referrer")
                .build();
    }

    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @ResponseHeader(name = "X-Accel-Buffering", value = "no")
    @ResponseHeader(name = "Cache-Control", value = "no-cache")
    @Blocking
    public Multi<String> stream(@Context HttpServerRequest http) {
        Principal principal = authorizer.authenticateForStream(TokenExtractor.extract(http, origins));
        authorizer.requireAdmin(principal);
        long expiresAtMillis = principal.expiresAt() * 1000;
        // Ends when the node drains (like every stream, so that shutdown does not wait for it) and when
        // the token expires; EventSource then reconnects, to another node or with a fresh token.
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(Duration.ofMillis(NodeSampler.PERIOD_MILLIS))
                .select().first(tick -> !drain.shuttingDown()
                        && (expiresAtMillis == 0 || System.currentTimeMillis() < expiresAtMillis))
                .onItem().transformToUniAndConcatenate(tick -> snapshot());
    }

    private Uni<String> snapshot() {
        NodeSample self = sampler.latest();
        return directory.nodes()
                .map(nodes -> new Snapshot(System.currentTimeMillis(), self, nodes, null))
                .onFailure().recoverWithItem(failure -> new Snapshot(System.currentTimeMillis(), self, List.of(self),
                        "the broker did not answer: " + failure.getClass().getSimpleName()))
                .map(this::json);
    }

    private String json(Snapshot snapshot) {
        try {
            return mapper.writeValueAsString(snapshot);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = AdminResource.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the application");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
