package dev.herald.support;

import io.nats.client.Connection;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Three {@code nats-server -js} processes routed into one JetStream cluster on free loopback ports, so
 * streams can be replicated (R3). {@link #server(int)} gives one to SIGKILL and restart.
 */
public final class NatsCluster implements AutoCloseable {

    private final List<NatsServer> servers;

    private NatsCluster(List<NatsServer> servers) {
        this.servers = servers;
    }

    /** Starts the three servers and waits until they elected a JetStream metadata leader. */
    public static NatsCluster start() {
        int[] clientPorts = {NatsServer.freePort(), NatsServer.freePort(), NatsServer.freePort()};
        int[] routePorts = {NatsServer.freePort(), NatsServer.freePort(), NatsServer.freePort()};
        String routes = java.util.Arrays.stream(routePorts).mapToObj(p -> "nats://127.0.0.1:" + p)
                .collect(Collectors.joining(","));
        List<NatsServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                servers.add(NatsServer.create("n" + (i + 1), clientPorts[i], List.of("--cluster_name", "herald-test",
                        "--cluster", "nats://127.0.0.1:" + routePorts[i], "--routes", routes)));
            }
            servers.forEach(NatsServer::start);
            // Ready once every server answers a JetStream API request, which needs the metadata leader.
            // (Each server's log naming the leader is no sign: a server that joins after two others
            // elected one does not log it, and a loaded machine spreads the starts out that far.)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (servers.stream().allMatch(NatsCluster::answersJetStream)) {
                    return new NatsCluster(servers);
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            throw new IllegalStateException("no JetStream metadata leader within 60s");
        } catch (RuntimeException | InterruptedException e) {
            servers.forEach(NatsServer::close);
            throw new IllegalStateException("cannot start a NATS cluster: " + e.getMessage(), e);
        }
    }

    private static boolean answersJetStream(NatsServer server) {
        Options options = Options.builder().server(server.url()).connectionTimeout(Duration.ofSeconds(2))
                .maxReconnects(0).build();
        try (Connection connection = Nats.connect(options)) {
            connection.jetStreamManagement(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build())
                    .getAccountStatistics();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception notYet) {
            return false;
        }
    }

    public NatsServer server(int i) {
        return servers.get(i);
    }

    /** Client URLs of every server (comma-separated, as {@code herald.nats.servers} takes them). */
    public List<String> urls() {
        return servers.stream().map(NatsServer::url).collect(Collectors.toList());
    }

    @Override
    public void close() {
        servers.forEach(NatsServer::close);
    }
}
