package dev.herald.app;

import dev.herald.broker.Retention;
import dev.herald.config.HeraldConfig;
import dev.herald.broker.nats.NatsBrokerSettings;
import io.quarkus.runtime.configuration.MemorySize;

/** {@code herald.nats.*} and the retention, as the NATS broker's settings. */
final class NatsSettingsFactory {

    private NatsSettingsFactory() {
    }

    static NatsBrokerSettings of(HeraldConfig config, Retention retention) {
        HeraldConfig.Nats nats = config.nats();
        return new NatsBrokerSettings(nats.servers(), nats.subjectPrefix(), nats.stream(), nats.bucket(),
                nats.replicas(), retention, nats.maxStreamBytes().map(MemorySize::asLongValue).orElse(-1L),
                nats.requestTimeout(), nats.publishTimeout(), config.presence().ttl(), nats.maxHeldBytes());
    }
}
