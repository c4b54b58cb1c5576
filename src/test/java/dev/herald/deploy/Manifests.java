package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The objects one kustomize overlay renders to, with the look-ups the invariants need. */
record Manifests(String overlay, List<JsonNode> objects) {

    static final YAMLMapper YAML = new YAMLMapper();

    /** kubectl: {@code -Dkubectl.path=...} if given, else the first on PATH, if any. */
    static Optional<Path> kubectl() {
        String given = System.getProperty("kubectl.path");
        if (given != null) {
            return Optional.of(Path.of(given)).filter(Files::isExecutable);
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, "kubectl"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** {@code kubectl kustomize <dir>}, bounded to a minute. */
    static Manifests render(Path kubectl, Path dir) {
        try {
            Process process = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString()).start();
            CompletableFuture<String> out = read(process.getInputStream());
            CompletableFuture<String> err = read(process.getErrorStream());
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("kubectl kustomize " + dir + " took more than 60s");
            }
            if (process.exitValue() != 0) {
                fail("kubectl kustomize " + dir + " failed: " + err.join());
            }
            return new Manifests(dir.getFileName().toString(), parse(out.join()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static CompletableFuture<String> read(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Every non-empty document of a multi-document YAML text. */
    static List<JsonNode> parse(String yaml) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }

    List<JsonNode> all(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return all(kind).stream().filter(o -> name.equals(o.path("metadata").path("name").asText())).findFirst();
    }

    JsonNode one(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(overlay + ": no " + kind + " " + name));
    }

    JsonNode herald() {
        return one("Deployment", "herald");
    }

    JsonNode heraldContainer() {
        for (JsonNode c : herald().path("spec").path("template").path("spec").path("containers")) {
            if ("herald".equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError(overlay + ": the Deployment has no container named herald");
    }

    /** Every workload with a pod template (Deployment, StatefulSet, DaemonSet, Job). */
    List<JsonNode> workloads() {
        return objects.stream()
                .filter(o -> o.path("spec").path("template").path("spec").has("containers"))
                .toList();
    }

    /**
     * The environment a container starts with: its {@code envFrom} ConfigMaps (which must exist in
     * this rendering, or kubelet would not start it), then its {@code env} values. Variables from
     * secrets map to {@code null}.
     */
    Map<String, String> environment(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : container.path("envFrom")) {
            if (from.has("configMapRef")) {
                String name = from.path("configMapRef").path("name").asText();
                JsonNode configMap = find("ConfigMap", name).orElseThrow(() -> new AssertionError(
                        overlay + ": envFrom names the ConfigMap " + name + ", which is not rendered"));
                configMap.path("data").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
            }
        }
        for (JsonNode var : container.path("env")) {
            env.put(var.path("name").asText(), var.has("value") ? var.path("value").asText() : null);
        }
        return env;
    }

    /** The container port a probe, Service or NetworkPolicy port refers to, by name or number. */
    static int resolvePort(JsonNode container, JsonNode port, String what) {
        assertNotNull(port, what + ": no port");
        if (port.isInt()) {
            return port.asInt();
        }
        for (JsonNode p : container.path("ports")) {
            if (port.asText().equals(p.path("name").asText())) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError(what + ": port " + port.asText() + " is not a named port of " + container.path("name"));
    }

    /** True when every label of the selector is among the labels. */
    static boolean selects(JsonNode matchLabels, JsonNode labels) {
        if (matchLabels == null || matchLabels.isMissingNode() || matchLabels.isEmpty()) {
            return false;
        }
        for (var e : matchLabels.properties()) {
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    static JsonNode podLabels(JsonNode workload) {
        return workload.path("spec").path("template").path("metadata").path("labels");
    }

    static void assertSelects(String what, JsonNode matchLabels, JsonNode labels) {
        assertEquals(true, selects(matchLabels, labels), what + ": selector " + matchLabels + " does not match " + labels);
    }
}
