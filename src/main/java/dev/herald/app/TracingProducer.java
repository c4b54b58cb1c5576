package dev.herald.app;

import dev.herald.ops.NodeIdentity;
import dev.herald.tracing.OtelTracing;
import dev.herald.tracing.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.prometheus.client.exemplars.ExemplarSampler;
import io.quarkus.micrometer.runtime.export.exemplars.OpentelemetryExemplarSamplerProvider;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Optional;
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

    /**
     * Prometheus exemplars (a trace id beside a histogram's sample) only while tracing is on. Quarkus adds an
     * OpenTelemetry exemplar sampler whenever the OpenTelemetry extension is present, on or off, and then every
     * timer's every sample asks it for the current span: a few percent of a busy node's CPU for nothing when
     * no span is ever recorded.
     */
    @Produces
    @Singleton
    @Alternative
    @Priority(1)
    Optional<ExemplarSampler> exemplars(Tracing tracing) {
        return tracing.enabled() ? new OpentelemetryExemplarSamplerProvider().exemplarSampler() : Optional.empty();
    }
}
