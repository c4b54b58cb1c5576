package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.SteadyPublisher;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The admin page in a real browser: it loads, its charts move with the traffic, the inspector and the tail work. */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserAdminPageTest extends BrowserTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final ObjectMapper JSON = new ObjectMapper();

    private final String operator = TestTokens.operator();

    /**
     * Saves a screenshot to target/screenshots/admin.png, and to the path in the system property
     * {@code admin.screenshot} when set (the README's docs/admin.png is made that way).
     */
    @Test
    void chartsMoveWhenEventsArePublishedAndTheInspectorAndTailShowTheTopic() throws Exception {
        WebDriver driver = chromium.driver();
        String topic = HttpApi.topic("admin");
        driver.get(base.resolve("/admin?access_token=" + URLEncoder.encode(operator, StandardCharsets.UTF_8)).toString());
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.withMessage(() -> "the feed never opened").until(d -> "open".equals(attribute(d, "feed", "data-state")));
        assertFalse(driver.getCurrentUrl().contains("access_token"), "the token is taken out of the address bar");

        try (SseClient sse = SseClient.open(base, List.of(topic), operator, null);
             SseClient other = SseClient.open(base, List.of(topic), operator, null);
             HttpClient http = HttpClient.newHttpClient()) {
            sse.preamble(WAIT);
            other.preamble(WAIT);
            // Both this node's and the cluster's charts show the publishes, their deliveries and latency.
            try (SteadyPublisher publisher = new SteadyPublisher(http, "admin", base, List.of(topic), operator, 20)) {
                wait.withMessage(() -> "the charts did not move: " + attribute(driver, "node-publishes", "data-last")
                        + " " + attribute(driver, "cluster-deliveries", "data-last")).until(d ->
                        rate(d, "node-publishes") > 0 && rate(d, "cluster-deliveries") > 0
                                && last(d, "node-connections").path("sse").asInt() >= 2
                                && !last(d, "node-latency").path("p99").isNull());
                inspectAndFollow(driver, wait, topic);
                screenshot(driver, wait);
            }
        }
    }

    /** The topic's row, its recent history, and a live tail that shows an event published after it began. */
    private void inspectAndFollow(WebDriver driver, WebDriverWait wait, String topic) {
        wait.until(d -> d.findElement(By.id("topics")).getText().contains(topic));
        assertTrue(driver.findElement(By.id("nodes")).getText().contains("(this node)"));

        WebElement input = driver.findElement(By.id("topic"));
        input.clear();
        input.sendKeys(topic);
        driver.findElement(By.cssSelector("#inspect button[type=submit]")).click();
        wait.withMessage(() -> "no history: " + driver.findElement(By.id("inspect-status")).getText())
                .until(d -> !d.findElements(By.cssSelector("#history li code")).isEmpty());
        driver.findElement(By.id("follow")).click();
        // The tail starts live: publish until one of these events shows (the first may precede it).
        List<String> ids = new ArrayList<>();
        wait.withMessage(() -> "the tail never showed one of " + ids).until(d -> {
            ids.add(HttpApi.publishOk(operator, topic, "followed", "{\"text\":\"live\"}"));
            String tail = d.findElement(By.id("tail")).getText();
            return ids.stream().anyMatch(tail::contains);
        });
    }

    /** The whole page, once it has drawn a few seconds of traffic at its final size. */
    private static void screenshot(WebDriver driver, WebDriverWait wait) throws Exception {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        js.executeScript("document.activeElement.blur(); window.scrollTo(0, 0);");
        long height = (Long) js.executeScript(
                "return document.documentElement.scrollHeight + (window.outerHeight - window.innerHeight);");
        driver.manage().window().setSize(new Dimension(1440, (int) height));
        int updates = Integer.parseInt(attribute(driver, "node-publishes", "data-updates"));
        wait.until(d -> Integer.parseInt(attribute(d, "node-publishes", "data-updates")) >= updates + 8);
        Path shot = Path.of("target", "screenshots", "admin.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        String copy = System.getProperty("admin.screenshot");
        if (copy != null && !copy.isBlank()) {
            Files.copy(shot, Path.of(copy), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String attribute(WebDriver driver, String id, String name) {
        return driver.findElement(By.id(id)).getAttribute(name);
    }

    /** The latest values a chart drew (its {@code data-last}). */
    private static JsonNode last(WebDriver driver, String chart) {
        String last = attribute(driver, chart, "data-last");
        try {
            return last == null ? JSON.createObjectNode() : JSON.readTree(last);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static double rate(WebDriver driver, String chart) {
        return last(driver, chart).path("rate").asDouble(0);
    }
}
