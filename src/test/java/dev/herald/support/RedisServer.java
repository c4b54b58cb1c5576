package dev.herald.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process on a free loopback port, for tests: Debian's {@code redis-server}
 * (7.x) when it is on the PATH, otherwise the Linux binary bundled in the embedded-redis test
 * dependency (6.2), so a machine with only a JDK still runs the Redis tests. {@link #stop()} and
 * {@link #start()} stop and restart it on the same port for fault tests; its data is kept in an
 * append-only file (fsync always), as a production Redis would keep it.
 */
public final class RedisServer implements AutoCloseable {

    private static final String[] BUNDLED = {"redis-server-6.2.6-v5-linux-amd64", "redis-server-6.2.7-linux-arm64"};

    private final Path binary;
    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(Path binary, int port, Path dir, List<String> extraArgs) {
        this.binary = binary;
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
    }

    /** Starts a standalone server; fails with a message naming what is missing when there is no binary. */
    public static RedisServer startNew(String... extraArgs) {
        try {
            Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "redis-");
            RedisServer server = new RedisServer(binary(), FreePorts.next(), dir, List.of(extraArgs));
            server.start();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server: " + e, e);
        }
    }

    /** The redis-server to use: Debian's on the PATH, else the bundled one. */
    public static synchronized Path binary() throws IOException {
        // HERALD_TEST_REDIS=bundled forces the bundled binary (to check the JDK-only path).
        boolean bundledOnly = "bundled".equals(System.getenv("HERALD_TEST_REDIS"));
        for (String dir : bundledOnly ? new String[0] : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String arch = System.getProperty("os.arch");
        String name = arch.contains("aarch64") || arch.contains("arm64") ? BUNDLED[1] : BUNDLED[0];
        Path target = Path.of("target", "redis-bin", name).toAbsolutePath();
        if (!Files.isExecutable(target)) {
            try (InputStream in = RedisServer.class.getClassLoader().getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("no redis-server found: install Debian's redis-server "
                            + "(apt-get install redis-server) or keep the embedded-redis test dependency, which "
                            + "bundles " + name);
                }
                Files.createDirectories(target.getParent());
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return target;
    }

    /** Starts (or restarts) the server on its port and waits until it answers PING. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of(binary.toString(),
                "--port", String.valueOf(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                "--protected-mode", "no", "--loglevel", "warning"));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary + ": " + e, e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited: " + log());
            }
            if ("+PONG".equals(command("PING"))) {
                return;
            }
            pause(50);
        }
        throw new IllegalStateException("redis-server did not answer PING within 15s: " + log());
    }

    /** Kills the server (SIGKILL: nothing is flushed beyond what the append-only file already has). */
    public synchronized void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** The server's major version (7 for Debian's, 6 for the bundled one). */
    public int majorVersion() {
        String info = command("INFO", "server");
        int at = info == null ? -1 : info.indexOf("redis_version:");
        return at < 0 ? 0 : Integer.parseInt(info.substring(at + 14, info.indexOf('.', at)));
    }

    /** Sends one command over a fresh connection; returns the reply's text, or null when unreachable. */
    public String command(String... args) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                request.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            String first = readLine(in);
            if (first.startsWith("$")) {
                int length = Integer.parseInt(first.substring(1));
                if (length < 0) {
                    return null;
                }
                byte[] body = in.readNBytes(length);
                return new String(body, StandardCharsets.UTF_8);
            }
            return first;
        } catch (IOException e) {
            return null;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
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
        stop();
    }
}
