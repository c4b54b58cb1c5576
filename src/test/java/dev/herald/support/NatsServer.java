package dev.herald.support;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code nats-server -js} process (Debian's, {@code /usr/sbin/nats-server}, 2.9) on a free loopback
 * port with its own store directory, for tests; never the machine's own NATS on 4222. {@link #kill()} and
 * {@link #start()} SIGKILL it and start it again on the same port and store; {@link #close()} kills it and
 * deletes its directory. Tests call {@link #available()} first and skip, saying why, when there is no
 * binary.
 */
public final class NatsServer implements AutoCloseable {

    public static final Path BINARY = Path.of(System.getenv().getOrDefault("HERALD_TEST_NATS", "/usr/sbin/nats-server"));

    private final String name;
    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    NatsServer(String name, int port, Path dir, List<String> extraArgs) {
        this.name = name;
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /** Whether nats-server can be run here; when not, prints why (the tests that need it are skipped). */
    public static boolean available() {
        if (Files.isExecutable(BINARY)) {
            return true;
        }
        System.out.println("SKIPPED: no nats-server at " + BINARY + " (apt-get install nats-server, or set HERALD_TEST_NATS)");
        return false;
    }

    /** Starts a single JetStream server. */
    public static NatsServer startNew() {
        NatsServer server = create("n1", freePort(), List.of());
        server.start();
        return server;
    }

    static NatsServer create(String name, int port, List<String> extraArgs) {
        try {
            Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "nats-");
            return new NatsServer(name, port, dir, extraArgs);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a store directory: " + e, e);
        }
    }

    /** Starts (or restarts) the server and waits until it accepts connections. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of(BINARY.toString(), "-a", "127.0.0.1", "-p", String.valueOf(port),
                "-js", "-sd", dir.resolve("store").toString(), "-n", name));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("nats.log").toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + BINARY + ": " + e, e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server exited: " + log());
            }
            if (log().contains("Server is ready") && accepts()) {
                return;
            }
            pause(50);
        }
        throw new IllegalStateException("nats-server did not get ready within 15s: " + log());
    }

    /** SIGKILL: nothing is flushed beyond what the store already has. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public int port() {
        return port;
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    String log() {
        try {
            return Files.readString(dir.resolve("nats.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() {
        return FreePorts.next();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover directory under target/ is harmless
        }
    }
}
