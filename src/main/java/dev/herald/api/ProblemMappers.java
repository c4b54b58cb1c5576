package dev.herald.api;

import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps every exception a JAX-RS resource throws to {@code application/problem+json}. */
public class ProblemMappers {

    @ServerExceptionMapper(priority = 1)
    public Response toProblem(Throwable failure) {
        return response(ProblemMapping.map(failure));
    }

    public static Response response(ProblemMapping.Mapped mapped) {
        Response.ResponseBuilder builder = Response.status(mapped.problem().status())
                .type(Problem.MEDIA_TYPE)
                .entity(mapped.problem());
        mapped.headers().forEach(builder::header);
        return builder.build();
    }
}
