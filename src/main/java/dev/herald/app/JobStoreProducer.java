package dev.herald.app;

import dev.herald.broker.Broker;
import dev.herald.config.HeraldConfig;
import dev.herald.config.JobsConfig;
import dev.herald.broker.nats.NatsBroker;
import dev.herald.broker.redis.RedisBroker;
import dev.herald.jobs.JobLifecycle;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.QuietQueues;
import dev.herald.jobs.memory.MemoryJobStore;
import dev.herald.jobs.nats.NatsJobStore;
import dev.herald.jobs.redis.RedisJobStore;
import io.quarkus.arc.ClientProxy;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The job store on the broker's backend: in memory with the memory broker, in Redis with the Redis broker,
 * in NATS JetStream with the NATS broker.
 */
@ApplicationScoped
public class JobStoreProducer {

    @Produces
    @ApplicationScoped
    JobStore jobStore(HeraldConfig config, Broker broker, Vertx vertx, Instance<Redis> redis, QuietQueues quiet) {
        JobsConfig jobs = config.jobs();
        if (jobs.visibility().compareTo(JobPolicy.MAX_VISIBILITY) > 0 || jobs.visibility().toMillis() < 1) {
            throw new IllegalStateException("herald.jobs.visibility must be between 1ms and "
                    + JobPolicy.MAX_VISIBILITY + ", got " + jobs.visibility());
        }
        require(jobs.maxAttempts() >= 1 && jobs.maxAttempts() <= 100, "herald.jobs.max-attempts must be from 1 to 100");
        require(jobs.maxLeaseBatch() >= 1, "herald.jobs.max-lease-batch must be at least 1");
        require(jobs.maxWaitingLeases() >= 0, "herald.jobs.max-waiting-leases must not be negative");
        require(jobs.pollInterval().toMillis() >= 1, "herald.jobs.poll-interval must be positive");
        require(jobs.retention().toMillis() >= 1, "herald.jobs.retention must be positive");
        require(jobs.backoffBase().toMillis() >= 1 && jobs.backoffMax().compareTo(jobs.backoffBase()) >= 0,
                "herald.jobs.backoff-base must be positive and herald.jobs.backoff-max at least as long");
        JobPolicy policy = new JobPolicy(jobs.retention(), jobs.backoffBase(), jobs.backoffMax());
        // The injected broker is a client proxy: its class says nothing of the backend behind it.
        Broker backend = ClientProxy.unwrap(broker);
        if (backend instanceof RedisBroker redisBroker) {
            // A cluster's slots put a job's keys and its topic's apart: lifecycle events folded only on one Redis.
            boolean cluster = "cluster".equalsIgnoreCase(ConfigProvider.getConfig()
                    .getOptionalValue("quarkus.redis.client-type", String.class).orElse("standalone"));
            return new RedisJobStore(redisBroker, vertx, redis.get(), policy, !cluster, quiet);
        }
        if (backend instanceof NatsBroker natsBroker) {
            return new NatsJobStore(natsBroker, policy);
        }
        return new MemoryJobStore(policy);
    }

    private static void require(boolean valid, String message) {
        if (!valid) {
            throw new IllegalStateException(message);
        }
    }

    void close(@Disposes JobStore store) {
        store.close();
    }

    @Produces
    @Singleton
    QuietQueues quietQueues(HeraldConfig config) {
        return QuietQueues.of(config.jobs().quietQueues().orElse(List.of()));
    }

    @Produces
    @ApplicationScoped
    JobLifecycle lifecycle(Broker broker, JobStore store, QuietQueues quiet) {
        return new JobLifecycle(broker, store.announcesLifecycle(), quiet);
    }
}
