package dev.herald.app;

import dev.herald.ops.NodeIdentity;
import dev.herald.tracing.OtelTracing;
import dev.herald.tracing.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * {@link Tracing} on OpenTelemetry when its SDK is on ({@code quarkus.otel.sdk.disabled=false}; Herald's
 * default is off), else {@link Tracing#OFF}, so a node that does not trace spends nothing on it.
 */
@ApplicationScoped
public class TracingProducer {

    private static final Logger LOG = Logger.getLogger(TracingProducer.class);

    @Produces
    @ApplicationScoped
    Tracing tracing(@ConfigProperty(name = "quarkus.otel.sdk.disabled", defaultValue = "false") boolean sdkDisabled,
                    @ConfigProperty(name = "quarkus.otel.traces.enabled", defaultValue = "true") boolean traces,
                    Instance<OpenTelemetry> openTelemetry, NodeIdentity node) {
        if (sdkDisabled || !traces || !openTelemetry.isResolvable()) {
            return Tracing.OFF;
        }
        LOG.infof("Tracing on: publishes, fan-outs and job operations are recorded as OpenTelemetry spans");
        return new OtelTracing(openTelemetry.get(), node.name());
    }
}
