package dev.herald.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A script of {@code src/test/node} run by Node: clients nobody on the project wrote (npm
 * {@code eventsource}, {@code ws}). A script prints one JSON object per line, each with a {@code kind},
 * and exits by itself within its own deadline; the test reads the lines as they come to know when to act
 * ({@link #await}) and all of them at the end ({@link #lines}). Stderr goes to
 * {@code target/node-<script>.log}.
 */
public final class NodeScript implements AutoCloseable {

    public static final Path DIR = Path.of("src/test/node");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A line that marks the end of stdout in {@link #pending}. */
    private static final JsonNode END = JSON.createObjectNode().put("kind", "<end of output>");

    private final String name;
    private final Process process;
    private final Path stderr;
    private final LinkedBlockingQueue<JsonNode> pending = new LinkedBlockingQueue<>();
    private final List<JsonNode> lines = new CopyOnWriteArrayList<>();

    private NodeScript(String name, Process process, Path stderr) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        Thread.ofVirtual().name("node-" + name).start(this::read);
    }

    /**
     * Why the scripts cannot run here ({@code node} missing, dependencies not installed), with how to fix
     * it; {@code null} when they can.
     */
    public static String unavailable() {
        try {
            Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            if (!node.waitFor(10, TimeUnit.SECONDS) || node.exitValue() != 0) {
                node.destroyForcibly();
                return "`node --version` failed; install Node.js 20 or later, then `npm ci --prefix src/test/node`";
            }
        } catch (IOException e) {
            return "no `node` on the PATH; install Node.js 20 or later, then `npm ci --prefix src/test/node`";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while looking for node";
        }
        for (String module : List.of("eventsource", "ws")) {
            if (!Files.isDirectory(DIR.resolve("node_modules").resolve(module))) {
                return DIR.resolve("node_modules").resolve(module)
                        + " is missing; install the clients with `npm ci --prefix src/test/node`";
            }
        }
        return null;
    }

    /** Starts {@code node <script> <args…>} in {@link #DIR} with {@code env} added to the environment. */
    public static NodeScript run(String script, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        String name = script.replaceFirst("\\.m?js$", "");
        Path stderr = Path.of("target", "node-" + name + ".log").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(command).directory(DIR.toFile())
                .redirectError(stderr.toFile());
        builder.environment().putAll(env);
        return new NodeScript(name, builder.start(), stderr);
    }

    private void read() {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    node = JSON.createObjectNode().put("kind", "unparsed").put("line", line);
                }
                lines.add(node);
                pending.add(node);
            }
        } catch (IOException e) {
            // the process was destroyed
        } finally {
            pending.add(END);
        }
    }

    /** The next line of {@code kind} after the last one awaited; fails with everything seen so far if none comes. */
    public JsonNode await(String kind, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            JsonNode line = pending.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line == END) {
                if (line == END) {
                    pending.add(END);
                }
                throw new AssertionError("node " + name + ": no \"" + kind + "\" line within " + atMost
                        + (line == END ? " (the script ended)" : "") + "; it printed:\n" + transcript());
            }
            if (kind.equals(line.path("kind").asText())) {
                return line;
            }
        }
    }

    /** Waits for the script to exit by itself and returns its exit code; kills it after {@code atMost}. */
    public int exitCode(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("node " + name + " did not exit within " + atMost + "; it printed:\n" + transcript());
        }
        return process.exitValue();
    }

    /** Every line printed so far. */
    public List<JsonNode> lines() {
        return List.copyOf(lines);
    }

    /** Every line printed so far of {@code kind}. */
    public List<JsonNode> lines(String kind) {
        return lines.stream().filter(line -> kind.equals(line.path("kind").asText())).toList();
    }

    /** What the script printed, on stdout and stderr, for failure messages. */
    public String transcript() {
        StringBuilder text = new StringBuilder();
        lines.forEach(line -> text.append("  ").append(line).append('\n'));
        try {
            if (Files.exists(stderr) && Files.size(stderr) > 0) {
                text.append("stderr:\n").append(Files.readString(stderr));
            }
        } catch (IOException e) {
            text.append("(stderr unreadable: ").append(e).append(")\n");
        }
        return text.toString();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
