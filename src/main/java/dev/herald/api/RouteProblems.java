package dev.herald.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.RoutingContext;

/** Sends a problem on a raw Vert.x route (where JAX-RS exception mappers do not run). */
public final class RouteProblems {

    private RouteProblems() {
    }

    /** A problem's JSON body (a bare status if it cannot be written). */
    public static String body(ObjectMapper mapper, Problem problem) {
        try {
            return mapper.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            return "{\"status\":" + problem.status() + "}";
        }
    }

    public static void send(RoutingContext ctx, ObjectMapper mapper, ProblemMapping.Mapped mapped) {
        if (ctx.response().headWritten()) {
            ctx.response().close();
            return;
        }
        String body = body(mapper, mapped.problem());
        ctx.response().setStatusCode(mapped.problem().status()).putHeader("Content-Type", Problem.MEDIA_TYPE);
        mapped.headers().forEach(ctx.response()::putHeader);
        ctx.response().end(body);
    }
}
