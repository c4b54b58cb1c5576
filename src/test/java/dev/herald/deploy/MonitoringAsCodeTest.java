package dev.herald.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.support.HttpApi;
import dev.herald.support.Management;
import dev.herald.support.Profiles;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * The dashboard and the alert rules of deploy/k8s/monitoring, as the prod overlay renders them: every
 * metric they name is served by a running node (here on Redis, as in production), promtool accepts
 * the rules and their unit tests ({@code src/test/resources/monitoring/herald-alerts-test.yaml}) pass.
 * Skipped, with the reason printed, without kubectl; the promtool checks without promtool (Debian
 * package {@code prometheus}; {@code -Dpromtool.path=...}).
 */
@QuarkusTest
// On Redis, as in production: the Redis broker's series (command latency) are served too.
@TestProfile(Profiles.RedisMode.class)
class MonitoringAsCodeTest {

    /** PromQL words that are not metric names. */
    static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset");

    static Manifests prod;

    @TestHTTPResource("/")
    URI base;

    @BeforeAll
    static void render() {
        var kubectl = Manifests.kubectl();
        if (kubectl.isEmpty()) {
            String reason = "kubectl is not on PATH (or give -Dkubectl.path=...): deploy/k8s/monitoring is not checked";
            System.out.println("MonitoringAsCodeTest skipped: " + reason);
            Assumptions.assumeTrue(false, reason);
        }
        prod = Manifests.render(kubectl.get(), Path.of("deploy/k8s/overlays/prod"));
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsNameIsServedByARunningNode() {
        exerciseTheNode();
        String scrape = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        Set<String> served = servedMetricNames(scrape);
        // The rules pick publishes out of the HTTP server's series by uri="/v1/.*events".
        assertTrue(scrape.lines().anyMatch(l -> l.startsWith("http_server_requests_seconds_count{")
                        && l.matches(".*uri=\"/v1/.*events\".*") && l.contains("status=\"401\"")),
                "publishes are counted with a uri the rules match:\n" + scrape.lines()
                        .filter(l -> l.startsWith("http_server_requests_seconds_count")).toList());
        List<String> expressions = new ArrayList<>(dashboardExpressions());
        int dashboard = expressions.size();
        expressions.addAll(ruleExpressions());
        assertTrue(dashboard >= 10 && expressions.size() - dashboard >= 10,
                "the dashboard and the rules have expressions: " + expressions);
        Set<String> named = new TreeSet<>();
        for (String expression : expressions) {
            Set<String> names = metricNames(expression);
            assertFalse(names.isEmpty(), "no metric in " + expression);
            for (String name : names) {
                assertTrue(served.contains(name), name + " (in " + expression + ") is not served at /q/metrics");
            }
            named.addAll(names);
        }
        assertTrue(named.containsAll(List.of("herald_connections", "herald_deliveries_total",
                "herald_events_published_total", "herald_delivery_latency_seconds_bucket",
                "herald_slow_consumer_disconnects_total", "herald_broker_available", "herald_broker_reconnects_total",
                "herald_presence_members")), "the panels the operations guide promises: " + named);
        System.out.printf("MonitoringAsCodeTest: %d expressions name %d metrics, all served: %s%n",
                expressions.size(), named.size(), named);
    }

    @Test
    void theDashboardIsLoadedByTheGrafanaSidecarAndUsesItsDataSourceVariable() throws IOException {
        JsonNode configMap = dashboardConfigMap();
        assertEquals("1", configMap.path("metadata").path("labels").path("grafana_dashboard").asText());
        JsonNode dashboard = dashboard(configMap);
        assertEquals("herald", dashboard.path("uid").asText());
        for (JsonNode panel : dashboard.path("panels")) {
            assertEquals("${datasource}", panel.path("datasource").path("uid").asText(), panel.path("title") + ": data source");
            assertFalse(panel.path("targets").isEmpty(), panel.path("title") + ": no query");
        }
    }

    @Test
    void promtoolAcceptsTheRulesAndTheirUnitTestsPass() throws Exception {
        Optional<Path> promtool = promtool();
        if (promtool.isEmpty()) {
            String reason = (System.getProperty("promtool.path") != null
                    ? "promtool.path=" + System.getProperty("promtool.path") + " is not executable"
                    : "promtool is not installed (Debian: apt-get install prometheus; or -Dpromtool.path=...)")
                    + ": the alert rules are not checked by promtool";
            System.out.println("MonitoringAsCodeTest: " + reason);
            Assumptions.assumeTrue(false, reason);
        }
        Path dir = Files.createDirectories(Path.of("target/monitoring"));
        ObjectNode rules = JsonNodeFactory.instance.objectNode();
        rules.set("groups", prometheusRule().path("spec").path("groups"));
        Files.writeString(dir.resolve("herald-rules.yaml"), Manifests.YAML.writeValueAsString(rules));
        Files.copy(Path.of("src/test/resources/monitoring/herald-alerts-test.yaml"), dir.resolve("herald-alerts-test.yaml"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String check = run(dir, promtool.get().toString(), "check", "rules", "herald-rules.yaml");
        assertTrue(check.contains("SUCCESS"), check);
        String test = run(dir, promtool.get().toString(), "test", "rules", "herald-alerts-test.yaml");
        assertTrue(test.contains("SUCCESS"), test);
    }

    // ---- helpers ----

    /** Connections, publishes, deliveries and a reset, so that the node has served each kind of series. */
    private void exerciseTheNode() {
        String token = TestTokens.admin();
        String topic = HttpApi.topic("monitoring");
        try (SseClient sse = SseClient.open(base, List.of(topic), token, null)) {
            sse.preamble(Duration.ofSeconds(5));
            HttpApi.publishOk(token, topic, "m", "1");
            sse.expectEvent(Duration.ofSeconds(5));
        }
        HttpApi.publish(null, topic, "{\"data\":1}").then().statusCode(401);
    }

    /**
     * The metric names of a PromQL expression: strings, label matchers, ranges and grouping clauses
     * removed, then every identifier that is not a function call or a keyword.
     */
    static Set<String> metricNames(String expression) {
        String bare = expression.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\b(\\s*\\()?").matcher(bare);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1)) && !m.group(1).matches("\\d.*|e\\d*|Inf|NaN")) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    static Set<String> servedMetricNames(String scrape) {
        Set<String> names = new TreeSet<>();
        scrape.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        return names;
    }

    private static JsonNode dashboardConfigMap() {
        return prod.all("ConfigMap").stream()
                .filter(c -> "1".equals(c.path("metadata").path("labels").path("grafana_dashboard").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("prod renders no ConfigMap labelled grafana_dashboard"));
    }

    private static JsonNode dashboard(JsonNode configMap) throws IOException {
        var data = configMap.path("data").properties().iterator();
        assertTrue(data.hasNext(), "the dashboard ConfigMap has no data");
        return new ObjectMapper().readTree(data.next().getValue().asText());
    }

    private static JsonNode prometheusRule() {
        List<JsonNode> rules = prod.all("PrometheusRule");
        assertEquals(1, rules.size(), "prod renders one PrometheusRule");
        return rules.get(0);
    }

    static List<String> dashboardExpressions() {
        try {
            JsonNode dashboard = dashboard(dashboardConfigMap());
            List<String> expressions = new ArrayList<>();
            dashboard.findValues("expr").forEach(e -> expressions.add(e.asText()));
            for (JsonNode variable : dashboard.path("templating").path("list")) {
                Matcher labelValues = Pattern.compile("label_values\\((.*),\\s*\\w+\\)").matcher(variable.path("definition").asText());
                if (labelValues.find()) {
                    expressions.add(labelValues.group(1));
                }
            }
            return expressions;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static List<String> ruleExpressions() {
        List<String> expressions = new ArrayList<>();
        for (JsonNode group : prometheusRule().path("spec").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                expressions.add(rule.path("expr").asText());
            }
        }
        return expressions;
    }

    static Optional<Path> promtool() {
        String given = System.getProperty("promtool.path");
        if (given != null) {
            return Optional.of(Path.of(given)).filter(Files::isExecutable);
        }
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(d -> !d.isBlank()).map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).findFirst();
    }

    /** Runs a command in {@code dir}, bounded to a minute; its output, asserting exit status 0. */
    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " took more than 60s");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }
}
