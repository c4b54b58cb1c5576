package dev.herald.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.config.HeraldConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses publish bodies over {@code herald.publish.max-body-bytes} from their Content-Length, before
 * reading them, with a problem body. (Bodies without a length are cut by
 * {@code quarkus.http.limits.max-body-size}.) Stops memory exhaustion by huge uploads.
 */
@ApplicationScoped
public class BodyLimitFilter {

    private final long maxBodyBytes;
    private final ObjectMapper mapper;

    public BodyLimitFilter(HeraldConfig config, ObjectMapper mapper) {
        this.maxBodyBytes = config.publish().maxBodyBytes();
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        router.route("/v1/*").order(-100).handler(ctx -> {
            if (ctx.request().method() == HttpMethod.POST) {
                String length = ctx.request().getHeader("Content-Length");
                long declared;
                try {
                    declared = length == null ? -1 : Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    declared = Long.MAX_VALUE;
                }
                if (declared > maxBodyBytes) {
                    RouteProblems.send(ctx, mapper, ProblemMapping.map(new PayloadTooLargeException(
                            "the request body is larger than " + maxBodyBytes + " bytes")));
                    return;
                }
            }
            ctx.next();
        });
    }
}
