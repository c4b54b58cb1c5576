package dev.herald.deploy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.support.Management;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Invariants of the Kubernetes manifests (deploy/k8s): every overlay is rendered with
 * {@code kubectl kustomize} and checked against the application it deploys, which runs here: probe
 * paths answer, ports match, configuration keys exist, the shutdown timing fits the grace period.
 * Skipped, with the reason printed, where kubectl is not installed ({@code -Dkubectl.path=...} names
 * one that is not on PATH).
 */
@QuarkusTest
class KubernetesManifestsTest {

    static final Path K8S = Path.of("deploy/k8s");
    static final Map<String, String> PROBES = Map.of(
            "startupProbe", "/q/health/started",
            "readinessProbe", "/q/health/ready",
            "livenessProbe", "/q/health/live");

    /** The namespaces of the ingress controller and of Prometheus that base/networkpolicy.yaml names. */
    static final String INGRESS_NAMESPACE = "ingress-nginx";
    static final String MONITORING_NAMESPACE = "monitoring";

    static final Map<String, Manifests> overlays = new LinkedHashMap<>();
    static ConfigKeys keys;

    @BeforeAll
    static void render() throws IOException {
        var kubectl = Manifests.kubectl();
        if (kubectl.isEmpty()) {
            String reason = (System.getProperty("kubectl.path") != null
                    ? "kubectl.path=" + System.getProperty("kubectl.path") + " is not executable"
                    : "kubectl is not on PATH (or give -Dkubectl.path=...)")
                    + ": the Kubernetes manifests (deploy/k8s) are not checked";
            System.out.println("KubernetesManifestsTest skipped: " + reason);
            Assumptions.assumeTrue(false, reason);
        }
        try (Stream<Path> dirs = Files.list(K8S.resolve("overlays"))) {
            dirs.filter(Files::isDirectory).sorted()
                    .forEach(dir -> overlays.put(dir.getFileName().toString(), Manifests.render(kubectl.get(), dir)));
        }
        assertTrue(overlays.keySet().containsAll(List.of("dev", "prod")), "overlays: " + overlays.keySet());
        keys = new ConfigKeys();
    }

    @Test
    void probesAnswerOnTheApplicationsManagementPort() {
        for (Manifests m : overlays.values()) {
            JsonNode container = m.heraldContainer();
            Map<String, String> env = m.environment(container);
            int appPort = appHttpPort(env);
            int managementPort = appManagementPort(env);
            assertEquals(appPort, Manifests.resolvePort(container, text("http"), m.overlay() + " container"),
                    m.overlay() + ": the container port named http is the application's HTTP port");
            assertEquals(managementPort, Manifests.resolvePort(container, text("management"), m.overlay() + " container"),
                    m.overlay() + ": the container port named management is the application's management port");
            PROBES.forEach((probe, path) -> {
                JsonNode get = container.path(probe).path("httpGet");
                assertEquals(path, get.path("path").asText(null), m.overlay() + ": " + probe + " path");
                assertEquals(managementPort, Manifests.resolvePort(container, get.get("port"), m.overlay() + " " + probe),
                        m.overlay() + ": " + probe + " port");
                assertEquals("HTTP", get.path("scheme").asText("HTTP"), m.overlay() + ": " + probe + " scheme");
            });
        }
        // The paths exist in the application, with the checks' reports on its management port (the API
        // port gives the verdict alone): the running test instance answers them.
        PROBES.values().forEach(path -> Management.given().get(path).then().statusCode(200)
                .body("checks", notNullValue()));
    }

    @Test
    void serviceAndMonitoringReachTheHeraldPods() {
        for (Manifests m : overlays.values()) {
            JsonNode container = m.heraldContainer();
            Map<String, String> env = m.environment(container);
            int appPort = appHttpPort(env);
            int managementPort = appManagementPort(env);
            JsonNode service = m.one("Service", "herald");
            Manifests.assertSelects(m.overlay() + " Service herald", service.path("spec").path("selector"),
                    Manifests.podLabels(m.herald()));
            Map<String, Integer> targets = serviceTargets(service, container, m.overlay());
            assertEquals(appPort, targets.get("http"), m.overlay() + ": the Service's http port targets the application's port");
            assertEquals(Set.of(appPort, managementPort), Set.copyOf(targets.values()),
                    m.overlay() + ": the Service targets the application's HTTP and management ports only");
            for (JsonNode monitor : m.all("ServiceMonitor")) {
                Manifests.assertSelects(m.overlay() + " ServiceMonitor", monitor.path("spec").path("selector").path("matchLabels"),
                        service.path("metadata").path("labels"));
                for (JsonNode endpoint : monitor.path("spec").path("endpoints")) {
                    assertEquals("/q/metrics", endpoint.path("path").asText(), m.overlay() + ": ServiceMonitor path");
                    assertEquals(managementPort, targets.get(endpoint.path("port").asText()),
                            m.overlay() + ": ServiceMonitor port " + endpoint.path("port") + " is the Service's port to the management port");
                }
            }
            JsonNode annotations = m.herald().path("spec").path("template").path("metadata").path("annotations");
            if (annotations.has("prometheus.io/path")) {
                assertEquals("/q/metrics", annotations.path("prometheus.io/path").asText(), m.overlay() + ": scrape path");
                assertEquals(String.valueOf(managementPort), annotations.path("prometheus.io/port").asText(), m.overlay() + ": scrape port");
            }
        }
        assertFalse(overlays.get("prod").all("ServiceMonitor").isEmpty(), "prod has a ServiceMonitor");
        Management.given().get("/q/metrics").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(404);
    }

    @Test
    void terminationGracePeriodCoversTheWholeDrain() {
        for (Manifests m : overlays.values()) {
            JsonNode container = m.heraldContainer();
            Map<String, String> env = m.environment(container);
            Duration drainDelay = duration(env, "HERALD_SHUTDOWN_DRAIN_DELAY", keys.heraldDefault("herald.shutdown.drain-delay"));
            Duration spread = duration(env, "HERALD_SHUTDOWN_SPREAD", keys.heraldDefault("herald.shutdown.spread"));
            Duration timeout = duration(env, "QUARKUS_SHUTDOWN_TIMEOUT", applicationProperty("quarkus.shutdown.timeout"));
            JsonNode preStop = container.path("lifecycle").path("preStop");
            if (!preStop.isMissingNode()) {
                // The runtime images have no shell to rely on: only Kubernetes' own sleep action.
                assertTrue(preStop.has("sleep") && preStop.size() == 1, m.overlay() + ": a preStop hook other than sleep: " + preStop);
            }
            Duration sleep = Duration.ofSeconds(preStop.path("sleep").path("seconds").asLong(0));
            Duration grace = Duration.ofSeconds(m.herald().path("spec").path("template").path("spec")
                    .path("terminationGracePeriodSeconds").asLong(30));
            String arithmetic = String.format("%s: grace %s, preStop sleep %s, drain-delay %s, spread %s, shutdown timeout %s",
                    m.overlay(), grace, sleep, drainDelay, spread, timeout);

            assertTrue(grace.compareTo(sleep.plus(drainDelay).plus(spread).plus(timeout)) > 0,
                    "terminationGracePeriodSeconds must exceed preStop + drain-delay + spread + quarkus.shutdown.timeout; " + arithmetic);
            // Drain bounds itself to the timeout minus 1s; Quarkus then waits up to the timeout again
            // for in-flight requests (dev.herald.ops.Drain): the worst case before SIGKILL.
            assertTrue(grace.compareTo(sleep.plus(timeout.minusSeconds(1)).plus(timeout)) >= 0,
                    "terminationGracePeriodSeconds must cover preStop + (timeout - 1s) + timeout; " + arithmetic);
            // Drain cuts the spread short when delay + spread does not fit in its budget (timeout - 1s,
            // less half a second it keeps for the last connections to close).
            assertTrue(drainDelay.plus(spread).plusMillis(1500).compareTo(timeout) <= 0,
                    "drain-delay + spread must fit in quarkus.shutdown.timeout - 1.5s; " + arithmetic);
        }
    }

    @Test
    void configurationVariablesAreRealKeys() {
        for (Manifests m : overlays.values()) {
            for (String name : m.environment(m.heraldContainer()).keySet()) {
                if (name.startsWith("HERALD_")) {
                    assertTrue(keys.isHeraldProperty(name),
                            m.overlay() + ": " + name + " is no herald.* property of HeraldConfig (a typo would do nothing)");
                } else if (name.startsWith("QUARKUS_") || name.startsWith("MP_") || name.startsWith("SMALLRYE_")) {
                    assertTrue(keys.isRuntimeProperty(name),
                            m.overlay() + ": " + name + " is no run-time property of Quarkus or smallrye-jwt");
                }
            }
        }
        // The check itself tells keys from typos.
        assertTrue(keys.isRuntimeProperty("QUARKUS_REDIS_HOSTS") && keys.isRuntimeProperty("QUARKUS_SHUTDOWN_TIMEOUT")
                && keys.isRuntimeProperty("MP_JWT_VERIFY_PUBLICKEY_LOCATION") && keys.isHeraldProperty("HERALD_SHUTDOWN_SPREAD"));
        assertFalse(keys.isRuntimeProperty("QUARKUS_SHUTDOWN_TIMEUOT") || keys.isHeraldProperty("HERALD_SHUTDOWN_DRAIN_DELAYS")
                || keys.isRuntimeProperty("QUARKUS_SHUTDOWN_DELAY_ENABLED"), "typos and build-time keys are refused");
    }

    @Test
    void everyNodeSharesRedisOrNats() {
        for (Manifests m : overlays.values()) {
            Map<String, String> env = m.environment(m.heraldContainer());
            assertTrue(Set.of("redis", "nats").contains(env.get("HERALD_BROKER")),
                    m.overlay() + ": pods share events only through Redis or NATS");
            assertNotNull(brokerAddress(env), m.overlay() + ": QUARKUS_REDIS_HOSTS or HERALD_NATS_SERVERS");
        }
    }

    /** The first address of the overlay's broker: QUARKUS_REDIS_HOSTS, or HERALD_NATS_SERVERS on NATS. */
    private static URI brokerAddress(Map<String, String> env) {
        String hosts = env.get("nats".equals(env.get("HERALD_BROKER")) ? "HERALD_NATS_SERVERS" : "QUARKUS_REDIS_HOSTS");
        return hosts == null ? null : URI.create(hosts.split(",")[0]);
    }

    @Test
    void natsComponentMovesProdFromRedisToAReplicatedNatsStream() {
        Manifests nats = overlays.get("prod-nats");
        assertNotNull(nats, "overlays/prod-nats renders the nats component");
        Map<String, String> env = nats.environment(nats.heraldContainer());
        assertEquals("nats", env.get("HERALD_BROKER"));
        assertEquals("3", env.get("HERALD_NATS_REPLICAS"), "the stream survives one NATS server");
        assertEquals(4222, brokerAddress(env).getPort());
        assertTrue(env.keySet().stream().noneMatch(k -> k.startsWith("QUARKUS_REDIS_")), "no Redis settings left: " + env.keySet());
        assertTrue(nats.find("Service", brokerAddress(env).getHost().split("\\.")[0]).isEmpty(),
                "HERALD_NATS_SERVERS points outside the overlay");
    }

    @Test
    void devRunsItsOwnRedisAndHeraldUsesIt() {
        Manifests dev = overlays.get("dev");
        List<JsonNode> redis = dev.all("StatefulSet").stream()
                .filter(s -> s.path("spec").path("template").path("spec").path("containers").get(0).path("image").asText().contains("redis"))
                .toList();
        assertEquals(1, redis.size(), "dev has one Redis StatefulSet");
        URI hosts = URI.create(dev.environment(dev.heraldContainer()).get("QUARKUS_REDIS_HOSTS").split(",")[0]);
        String serviceName = hosts.getHost().split("\\.")[0];
        JsonNode service = dev.one("Service", serviceName);
        Manifests.assertSelects("dev Service " + serviceName, service.path("spec").path("selector"), Manifests.podLabels(redis.get(0)));
        Set<Integer> ports = new HashSet<>();
        service.path("spec").path("ports").forEach(p -> ports.add(p.path("port").asInt()));
        assertTrue(ports.contains(hosts.getPort()), "dev: QUARKUS_REDIS_HOSTS port " + hosts.getPort() + " is a port of " + serviceName);
    }

    @Test
    void prodRunsThreeReplicasOnAnExternalRedisWithAPasswordFromASecret() {
        for (String overlay : overlays.keySet()) {
            if (!overlay.startsWith("prod")) {
                continue;
            }
            Manifests prod = overlays.get(overlay);
            assertEquals(3, prod.herald().path("spec").path("replicas").asInt(), overlay + ": replicas");
            assertTrue(prod.all("StatefulSet").isEmpty(), overlay + ": no StatefulSet (Redis is external)");
            if ("nats".equals(prod.environment(prod.heraldContainer()).get("HERALD_BROKER"))) {
                continue; // natsComponentMovesProdFromRedisToAReplicatedNatsStream
            }
            JsonNode password = null;
            for (JsonNode var : prod.heraldContainer().path("env")) {
                if ("QUARKUS_REDIS_PASSWORD".equals(var.path("name").asText())) {
                    password = var;
                }
            }
            assertNotNull(password, overlay + ": QUARKUS_REDIS_PASSWORD");
            assertTrue(password.path("valueFrom").has("secretKeyRef"), overlay + ": the Redis password comes from a Secret");
            String hosts = prod.environment(prod.heraldContainer()).get("QUARKUS_REDIS_HOSTS");
            assertTrue(prod.find("Service", URI.create(hosts.split(",")[0]).getHost().split("\\.")[0]).isEmpty(),
                    overlay + ": QUARKUS_REDIS_HOSTS points outside the overlay");
        }
    }

    @Test
    void disruptionBudgetAndAutoscalerTargetTheDeployment() {
        for (Manifests m : overlays.values()) {
            JsonNode pods = Manifests.podLabels(m.herald());
            int replicas = m.herald().path("spec").path("replicas").asInt(1);
            for (JsonNode pdb : m.all("PodDisruptionBudget")) {
                if (Manifests.selects(pdb.path("spec").path("selector").path("matchLabels"), pods)) {
                    JsonNode spec = pdb.path("spec");
                    assertTrue(spec.has("maxUnavailable") ? spec.path("maxUnavailable").asInt() >= 1
                                    : spec.path("minAvailable").asInt() < replicas,
                            m.overlay() + ": the PodDisruptionBudget lets a node drain proceed");
                }
            }
            assertTrue(m.all("PodDisruptionBudget").stream().anyMatch(pdb -> Manifests.selects(
                    pdb.path("spec").path("selector").path("matchLabels"), pods)), m.overlay() + ": a PDB selects the Herald pods");
            for (JsonNode hpa : m.all("HorizontalPodAutoscaler")) {
                JsonNode target = hpa.path("spec").path("scaleTargetRef");
                assertEquals("apps/v1", target.path("apiVersion").asText(), m.overlay() + ": HPA target apiVersion");
                assertEquals("Deployment", target.path("kind").asText(), m.overlay() + ": HPA target kind");
                assertEquals("herald", target.path("name").asText(), m.overlay() + ": HPA target name");
                assertTrue(hpa.path("spec").path("minReplicas").asInt() <= replicas
                        && replicas <= hpa.path("spec").path("maxReplicas").asInt(), m.overlay() + ": replicas within the HPA's range");
            }
        }
        assertFalse(overlays.get("prod").all("HorizontalPodAutoscaler").isEmpty(), "prod autoscales");
    }

    @Test
    void containersRunLockedDown() {
        for (Manifests m : overlays.values()) {
            for (JsonNode workload : m.workloads()) {
                String name = m.overlay() + " " + workload.path("kind").asText() + " " + workload.path("metadata").path("name").asText();
                JsonNode pod = workload.path("spec").path("template").path("spec");
                assertFalse(pod.path("automountServiceAccountToken").asBoolean(true), name + ": automountServiceAccountToken false");
                assertFalse(pod.path("hostNetwork").asBoolean(false) || pod.path("hostPID").asBoolean(false), name + ": host namespaces");
                List<JsonNode> containers = new ArrayList<>();
                pod.path("containers").forEach(containers::add);
                pod.path("initContainers").forEach(containers::add);
                for (JsonNode c : containers) {
                    String what = name + " container " + c.path("name").asText();
                    JsonNode sc = c.path("securityContext");
                    JsonNode podSc = pod.path("securityContext");
                    assertTrue(sc.path("runAsNonRoot").asBoolean(podSc.path("runAsNonRoot").asBoolean(false)), what + ": runAsNonRoot");
                    assertNotEquals(0, sc.path("runAsUser").asInt(podSc.path("runAsUser").asInt(-1)), what + ": runAsUser 0");
                    assertTrue(sc.path("readOnlyRootFilesystem").asBoolean(false), what + ": readOnlyRootFilesystem");
                    assertFalse(sc.path("allowPrivilegeEscalation").asBoolean(true), what + ": allowPrivilegeEscalation false");
                    assertFalse(sc.path("privileged").asBoolean(false), what + ": privileged");
                    assertTrue(sc.path("capabilities").path("drop").toString().contains("\"ALL\""), what + ": drops ALL capabilities");
                    assertTrue(sc.path("capabilities").path("add").isEmpty(), what + ": adds no capability");
                    assertEquals("RuntimeDefault", sc.path("seccompProfile").path("type")
                            .asText(podSc.path("seccompProfile").path("type").asText()), what + ": seccomp RuntimeDefault");
                    for (String kind : List.of("requests", "limits")) {
                        for (String resource : List.of("cpu", "memory")) {
                            assertTrue(c.path("resources").path(kind).has(resource), what + ": resources." + kind + "." + resource);
                        }
                    }
                    String image = c.path("image").asText();
                    assertTrue(image.matches(".+:[^/]+") && !image.endsWith(":latest"), what + ": image with a tag, not latest: " + image);
                }
            }
            JsonNode pod = m.herald().path("spec").path("template").path("spec");
            assertFalse(pod.path("enableServiceLinks").asBoolean(true),
                    m.overlay() + ": enableServiceLinks false (Service variables would land in HERALD_*)");
            assertTrue(writableTmp(pod, m.heraldContainer()), m.overlay() + ": /tmp is an emptyDir (the root filesystem is read-only)");
            JsonNode account = m.one("ServiceAccount", pod.path("serviceAccountName").asText("default"));
            assertFalse(account.path("automountServiceAccountToken").asBoolean(true), m.overlay() + ": the ServiceAccount mounts no token");
            for (String rbac : List.of("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")) {
                assertTrue(m.all(rbac).isEmpty(), m.overlay() + ": no RBAC (" + rbac + ")");
            }
            assertTrue(pod.path("topologySpreadConstraints").toString().contains("\"kubernetes.io/hostname\""),
                    m.overlay() + ": pods spread across nodes");
        }
    }

    @Test
    void noSecretValuesAreCommitted() throws IOException {
        for (Manifests m : overlays.values()) {
            assertTrue(m.all("Secret").isEmpty(), m.overlay() + ": renders a Secret; reference Secrets the operator creates instead");
        }
        try (Stream<Path> files = Files.walk(Path.of("deploy"))) {
            for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml")).toList()) {
                for (JsonNode doc : Manifests.parse(Files.readString(file))) {
                    assertFalse("Secret".equals(doc.path("kind").asText()) && (doc.has("data") || doc.has("stringData")),
                            file + ": a Secret with values");
                    assertFalse(doc.has("secretGenerator"), file + ": a secretGenerator puts values in the repository");
                }
            }
        }
        // Whatever the manifests reference, the README tells the operator to create.
        String readme = Files.readString(K8S.resolve("README.md"));
        for (Manifests m : overlays.values()) {
            for (String secret : referencedSecrets(m)) {
                assertTrue(readme.contains("create secret") && readme.contains(secret),
                        m.overlay() + ": deploy/k8s/README.md does not say how to create the Secret " + secret);
            }
        }
    }

    @Test
    void networkPolicyAdmitsTheIngressToTheApiAndPrometheusToManagementOnlyAndDnsAndBrokerOut() {
        for (Manifests m : overlays.values()) {
            JsonNode container = m.heraldContainer();
            Map<String, String> env = m.environment(container);
            int appPort = appHttpPort(env);
            int managementPort = appManagementPort(env);
            int redisPort = brokerAddress(env).getPort();
            List<JsonNode> policies = m.all("NetworkPolicy").stream()
                    .filter(p -> Manifests.selects(p.path("spec").path("podSelector").path("matchLabels"), Manifests.podLabels(m.herald())))
                    .toList();
            assertEquals(1, policies.size(), m.overlay() + ": one NetworkPolicy for the Herald pods");
            JsonNode spec = policies.get(0).path("spec");
            assertEquals("[\"Ingress\",\"Egress\"]", spec.path("policyTypes").toString(), m.overlay() + ": policyTypes");
            boolean prometheusReachesManagement = false;
            for (JsonNode rule : spec.path("ingress")) {
                assertFalse(rule.path("ports").isEmpty(), m.overlay() + ": an ingress rule without ports admits every port");
                assertFalse(rule.path("from").isEmpty(), m.overlay() + ": an ingress rule without sources admits everyone");
                String from = rule.path("from").toString();
                for (JsonNode port : rule.path("ports")) {
                    int to = Manifests.resolvePort(container, port.get("port"), m.overlay() + " NetworkPolicy");
                    assertTrue(to == appPort || to == managementPort, m.overlay() + ": ingress only to the HTTP and management ports");
                    if (to == managementPort) {
                        // Probes and metrics stay inside: the ingress controller never reaches them.
                        assertFalse(from.contains(INGRESS_NAMESPACE), m.overlay() + ": the ingress controller reaches the management port");
                        assertEquals("[{\"namespaceSelector\":{\"matchLabels\":{\"kubernetes.io/metadata.name\":\""
                                + MONITORING_NAMESPACE + "\"}}}]", from, m.overlay() + ": only Prometheus reaches the management port");
                        prometheusReachesManagement = true;
                    }
                }
            }
            assertTrue(prometheusReachesManagement, m.overlay() + ": Prometheus may reach the management port");
            Set<Integer> egress = new TreeSet<>();
            for (JsonNode rule : spec.path("egress")) {
                assertFalse(rule.path("ports").isEmpty() || rule.path("to").isEmpty(), m.overlay() + ": an open egress rule");
                rule.path("ports").forEach(p -> egress.add(p.path("port").asInt()));
            }
            assertEquals(new TreeSet<>(List.of(53, redisPort)), egress, m.overlay() + ": egress to DNS and the broker only");
        }
    }

    @Test
    void ingressStreamsWithoutBufferingAndKeepsLongConnections() {
        int ingresses = 0;
        for (Manifests m : overlays.values()) {
            for (JsonNode ingress : m.all("Ingress")) {
                ingresses++;
                JsonNode annotations = ingress.path("metadata").path("annotations");
                String what = m.overlay() + " Ingress " + ingress.path("metadata").path("name").asText();
                assertEquals("off", annotations.path("nginx.ingress.kubernetes.io/proxy-buffering").asText(), what + ": proxy-buffering");
                for (String timeout : List.of("proxy-read-timeout", "proxy-send-timeout")) {
                    assertTrue(annotations.path("nginx.ingress.kubernetes.io/" + timeout).asInt(0) >= 3600, what + ": " + timeout + " >= 3600");
                }
                JsonNode service = m.one("Service", "herald");
                for (JsonNode rule : ingress.path("spec").path("rules")) {
                    for (JsonNode path : rule.path("http").path("paths")) {
                        assertFalse(path.path("path").asText().startsWith("/q"), what + ": /q/* (health, metrics) is not published");
                        JsonNode backend = path.path("backend").path("service");
                        assertEquals("herald", backend.path("name").asText(), what + ": backend");
                        JsonNode port = backend.path("port");
                        JsonNode servicePort = null;
                        for (JsonNode p : service.path("spec").path("ports")) {
                            if (p.path("name").asText().equals(port.path("name").asText()) || p.path("port").asInt() == port.path("number").asInt(-1)) {
                                servicePort = p;
                            }
                        }
                        assertNotNull(servicePort, what + ": backend port is a port of the Service");
                        assertEquals(appHttpPort(m.environment(m.heraldContainer())),
                                Manifests.resolvePort(m.heraldContainer(), servicePort.get("targetPort"), what),
                                what + ": routes to the API port, never to the management port");
                    }
                }
            }
        }
        assertTrue(ingresses > 0, "some overlay has an Ingress");
    }

    /**
     * The JVM image's collector options start a real JVM, with ZGC on (its pauses, not G1's or the
     * serial collector's, keep the latency tail short: bench/RESULTS.md W3). A misspelt flag would stop
     * every pod at start.
     */
    @Test
    void jvmPodsRunZgcWithOptionsAJvmAccepts() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        for (Manifests m : overlays.values()) {
            if (m.overlay().contains("native")) {
                continue;
            }
            String options = m.environment(m.heraldContainer()).get("GC_CONTAINER_OPTIONS");
            assertNotNull(options, m.overlay() + ": GC_CONTAINER_OPTIONS is set (run-java.sh would pick ParallelGC)");
            List<String> command = new ArrayList<>(List.of(java));
            command.addAll(List.of(options.trim().split("\\s+")));
            command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
            Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(jvm.waitFor(30, TimeUnit.SECONDS), "the JVM exits");
            assertEquals(0, jvm.exitValue(), m.overlay() + ": a JVM refuses " + options + ":\n" + output);
            assertTrue(Pattern.compile("\\bUseZGC\\s+=\\s+true").matcher(output).find(),
                    m.overlay() + ": ZGC is on with " + options);
        }
    }

    @Test
    void nativeVariantSwapsTheImageAndSizesItsHeap() {
        Manifests jvm = overlays.get("prod");
        Manifests nativeImage = overlays.get("prod-native");
        assertNotNull(nativeImage, "overlays/prod-native renders the native component");
        JsonNode container = nativeImage.heraldContainer();
        assertNotEquals(jvm.heraldContainer().path("image").asText(), container.path("image").asText(), "the native image");
        assertTrue(nativeImage.environment(container).keySet().stream().noneMatch(k -> k.startsWith("JAVA_") || k.startsWith("GC_")),
                "no JVM settings for the native executable");
        long limit = bytes(container.path("resources").path("limits").path("memory").asText());
        Matcher xmx = Pattern.compile("-Xmx(\\d+)([mMgG])").matcher(container.path("args").toString());
        assertTrue(xmx.find(), "the native heap is sized with -Xmx");
        long heap = Long.parseLong(xmx.group(1)) * (xmx.group(2).equalsIgnoreCase("g") ? 1 << 30 : 1 << 20);
        assertTrue(heap < limit * 0.8, "-Xmx leaves room below the memory limit: " + heap + " of " + limit);
    }

    @Test
    void imagesRunAsNonRootAndExposeTheHttpPort() throws IOException {
        for (String dockerfile : List.of("Dockerfile.jvm", "Dockerfile.native")) {
            String text = Files.readString(Path.of(dockerfile));
            Matcher user = Pattern.compile("(?m)^USER\\s+(\\S+)\\s*$").matcher(text);
            String last = null;
            while (user.find()) {
                last = user.group(1);
            }
            assertNotNull(last, dockerfile + ": no USER");
            assertTrue(last.matches("[1-9][0-9]*"), dockerfile + ": runs as a numeric non-root user (runAsNonRoot can check it): " + last);
            assertTrue(text.contains("EXPOSE " + appHttpPort(Map.of()) + " " + appManagementPort(Map.of())),
                    dockerfile + ": EXPOSE the HTTP and management ports");
        }
    }

    // ---- helpers ----

    static JsonNode text(String value) {
        return Manifests.YAML.getNodeFactory().textNode(value);
    }

    /**
     * The HTTP port the packaged application listens on with this environment (the test instance
     * listens on a random one instead).
     */
    static int appHttpPort(Map<String, String> env) {
        String port = env.getOrDefault("QUARKUS_HTTP_PORT", applicationProperty("quarkus.http.port"));
        return port != null ? Integer.parseInt(port) : 8080; // Quarkus' default
    }

    /** The management port (probes, metrics) of the packaged application with this environment. */
    static int appManagementPort(Map<String, String> env) {
        String port = env.getOrDefault("QUARKUS_MANAGEMENT_PORT", applicationProperty("quarkus.management.port"));
        assertEquals("true", applicationProperty("quarkus.management.enabled"), "the management interface is enabled");
        return port != null ? Integer.parseInt(port) : 9000; // Quarkus' default
    }

    /** Each port of the Service by name, resolved to the container port it targets. */
    static Map<String, Integer> serviceTargets(JsonNode service, JsonNode container, String overlay) {
        Map<String, Integer> targets = new LinkedHashMap<>();
        for (JsonNode port : service.path("spec").path("ports")) {
            targets.put(port.path("name").asText(), Manifests.resolvePort(container, port.get("targetPort"), overlay + " Service"));
        }
        return targets;
    }

    static Duration duration(Map<String, String> env, String name, String fallback) {
        String value = env.getOrDefault(name, fallback);
        assertNotNull(value, name + " is set neither in the manifests nor in application.properties");
        return DurationConverter.parseDuration(value);
    }

    /** A property of the packaged application (prod profile) as application.properties sets it. */
    static String applicationProperty(String name) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("src/main/resources/application.properties"))) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return properties.getProperty(name);
    }

    static boolean writableTmp(JsonNode pod, JsonNode container) {
        for (JsonNode mount : container.path("volumeMounts")) {
            if ("/tmp".equals(mount.path("mountPath").asText())) {
                for (JsonNode volume : pod.path("volumes")) {
                    if (volume.path("name").asText().equals(mount.path("name").asText())) {
                        return volume.has("emptyDir");
                    }
                }
            }
        }
        return false;
    }

    static Set<String> referencedSecrets(Manifests m) {
        Set<String> names = new TreeSet<>();
        for (JsonNode object : m.objects()) {
            object.findParents("secretKeyRef").forEach(p -> names.add(p.path("secretKeyRef").path("name").asText()));
            object.findValues("secretName").forEach(v -> names.add(v.asText()));
        }
        return names;
    }

    static long bytes(String quantity) {
        Matcher q = Pattern.compile("(\\d+)(Ki|Mi|Gi)?").matcher(quantity);
        if (!q.matches()) {
            fail("unexpected memory quantity " + quantity);
        }
        long unit = switch (q.group(2) == null ? "" : q.group(2)) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(q.group(1)) * unit;
    }
}
