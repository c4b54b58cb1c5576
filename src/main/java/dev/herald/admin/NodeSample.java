package dev.herald.admin;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;
import java.util.Map;

/**
 * One node's figures at one moment, as the admin page charts them and as the node announces them to
 * the others through the broker ({@link NodeDirectory}). Rates and latencies are over the last
 * {@link NodeSampler#PERIOD_MILLIS}; latencies are null when nothing was delivered live meanwhile.
 *
 * @param at          when it was taken (epoch ms, the node's clock)
 * @param connections open connections by transport ({@code sse}, {@code ws}, {@code poll})
 * @param topics      the topics with the most local subscriptions, most first
 */
@RegisterForReflection
public record NodeSample(String node, String instance, String version, String broker, boolean brokerAvailable,
                         boolean draining, long at, Map<String, Long> connections, long subscriptions,
                         long presenceMembers, double deliveriesPerSecond, double publishesPerSecond,
                         Double latencyP50Millis, Double latencyP99Millis, List<TopicCount> topics) {

    /** A topic and its subscriptions on one node (summed over the nodes on the page). */
    @RegisterForReflection
    public record TopicCount(String topic, int subscriptions) {
    }
}
