package dev.herald.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * The packaged application started as a separate process on a free port, in the prod profile, so tests
 * can send it real signals: the artifact the build made ({@code target/quarkus-artifact.properties}),
 * the jar ({@code target/quarkus-app/quarkus-run.jar}) or, after {@code ./mvnw verify -Dnative}, the
 * native executable. Output goes to {@code target/<name>.log}.
 */
public final class HeraldProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;

    private HeraldProcess(Process process, int port, int managementPort, Path log) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /** Starts the application with the test key and {@code config} as system properties; waits until it is ready. */
    public static HeraldProcess start(String name, Map<String, String> config) throws IOException {
        return start(name, config, List.of());
    }

    /**
     * Starts two nodes at once: two JVMs starting side by side take little longer than one. When either
     * does not start, the other is closed and the failure thrown. Returns them in order.
     */
    public static List<HeraldProcess> startBoth(String nameA, Map<String, String> configA, String nameB,
                                                Map<String, String> configB) throws IOException {
        CompletableFuture<HeraldProcess> a = CompletableFuture.supplyAsync(() -> startUnchecked(nameA, configA));
        CompletableFuture<HeraldProcess> b = CompletableFuture.supplyAsync(() -> startUnchecked(nameB, configB));
        try {
            return List.of(a.join(), b.join());
        } catch (CompletionException e) {
            for (CompletableFuture<HeraldProcess> node : List.of(a, b)) {
                try {
                    node.join().close();
                } catch (CompletionException notStarted) {
                    // nothing to close
                }
            }
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private static HeraldProcess startUnchecked(String name, Map<String, String> config) {
        try {
            return start(name, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * As {@link #start(String, Map)}, with options for the JVM (or the native executable) placed before
     * the system properties, e.g. {@code -Xmx256m} to give the node a small heap.
     */
    public static HeraldProcess start(String name, Map<String, String> config, List<String> vmOptions)
            throws IOException {
        Artifact artifact = Artifact.built();
        int port = FreePorts.next();
        int managementPort = FreePorts.next();
        List<String> command = new ArrayList<>();
        if (artifact.nativeExecutable()) {
            command.add(artifact.path().toAbsolutePath().toString());
        } else {
            command.add(ProcessHandle.current().info().command().orElse("java"));
        }
        command.addAll(vmOptions);
        command.add("-Dquarkus.http.port=" + port);
        // Loopback only, like everything a test starts (the prod profile listens on every interface).
        command.add("-Dquarkus.http.host=localhost");
        // Probes and metrics: on a port of their own, bound to loopback too.
        command.add("-Dquarkus.management.port=" + managementPort);
        command.add("-Dquarkus.management.host=localhost");
        command.add("-Dmp.jwt.verify.publickey.location="
                + Path.of("src/test/resources/test-keys/jwt-public.pem").toAbsolutePath());
        command.add("-Dmp.jwt.verify.issuer=" + TestTokens.ISSUER);
        config.forEach((k, v) -> command.add("-D" + k + "=" + v));
        if (!artifact.nativeExecutable()) {
            command.add("-jar");
            command.add(artifact.path().toString());
        }
        Path log = Path.of("target", name + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HeraldProcess herald = new HeraldProcess(process, port, managementPort, log);
        herald.awaitReady(Duration.ofSeconds(60));
        return herald;
    }

    /** What {@code ./mvnw package} made: the jar, or the native executable under {@code -Dnative}. */
    private record Artifact(Path path, boolean nativeExecutable) {
        static Artifact built() throws IOException {
            Path properties = Path.of("target/quarkus-artifact.properties");
            if (!Files.exists(properties)) {
                throw new IllegalStateException(properties + " is missing: run the tests with ./mvnw verify (package first)");
            }
            Properties p = new Properties();
            try (var in = Files.newInputStream(properties)) {
                p.load(in);
            }
            Path path = Path.of("target").resolve(p.getProperty("path", "quarkus-app/quarkus-run.jar"));
            if (!Files.exists(path)) {
                throw new IllegalStateException(path + " is missing: run the tests with ./mvnw verify (package first)");
            }
            return new Artifact(path, "native".equals(p.getProperty("type")));
        }
    }

    public URI base() {
        return URI.create("http://localhost:" + port + "/");
    }

    /** The management interface: probes ({@code q/health/*}) and metrics ({@code q/metrics}). */
    public URI management() {
        return URI.create("http://localhost:" + managementPort + "/");
    }

    public Process process() {
        return process;
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** HTTP status of a GET on the API port, or -1 when the connection is refused. */
    public int status(String path) {
        return status(base(), path);
    }

    /** HTTP status of a GET on the management port (e.g. {@code /q/health/ready}), or -1 when refused. */
    public int managementStatus(String path) {
        return status(management(), path);
    }

    private static int status(URI base, String path) {
        try {
            HttpURLConnection c = (HttpURLConnection) base.resolve(path).toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(5000);
            int code = c.getResponseCode();
            c.disconnect();
            return code;
        } catch (IOException e) {
            return -1;
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Herald exited with " + process.exitValue() + ":\n" + log());
            }
            if (managementStatus("/q/health/ready") == 200) {
                return;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        close();
        throw new IllegalStateException("Herald did not become ready within " + timeout + ":\n" + log());
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
