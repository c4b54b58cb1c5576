package dev.herald.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.RoutingContext;

/** Sends a problem on a raw Vert.x route (where JAX-RS exception mappers do not run). */
public final class RouteProblems {

    private RouteProblems() {
    }

    public static void send(RoutingContext ctx, ObjectMapper mapper, ProblemMapping.Mapped mapped) {
        if (ctx.response().headWritten()) {
            ctx.response().close();
            return;
        }
        String body;
        try {
            body = mapper.writeValueAsString(mapped.problem());
        } catch (JsonProcessingException e) {
            body = "{\"status\":" + mapped.problem().status() + "}";
        }
        ctx.response().setStatusCode(mapped.problem().status()).putHeader("Content-Type", Problem.MEDIA_TYPE);
        mapped.headers().forEach(ctx.response()::putHeader);
        ctx.response().end(body);
    }
}
