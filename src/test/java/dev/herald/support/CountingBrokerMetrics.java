package dev.herald.support;

import dev.herald.broker.BrokerMetrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Broker metrics that count each command by name and the events each reason evicted from history. */
public final class CountingBrokerMetrics implements BrokerMetrics {

    private final Map<String, AtomicInteger> commands = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> evicted = new ConcurrentHashMap<>();

    @Override
    public void brokerCommand(String broker, String command, long nanos) {
        commands.computeIfAbsent(command, c -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void historyEvicted(String broker, String reason, int events) {
        evicted.computeIfAbsent(reason, r -> new AtomicInteger()).addAndGet(events);
    }

    /** How many {@code command}s finished. */
    public int commands(String command) {
        AtomicInteger n = commands.get(command);
        return n == null ? 0 : n.get();
    }

    /** How many events {@code reason} ({@code topic-bytes}, ...) evicted. */
    public int evicted(String reason) {
        AtomicInteger n = evicted.get(reason);
        return n == null ? 0 : n.get();
    }

    public void reset() {
        commands.clear();
        evicted.clear();
    }
}
