package dev.herald.browser;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo page at {@code /}, read through its DOM: stable ids ({@code #status[data-state]},
 * {@code #received[data-count]}, {@code #cursor}) and one {@code li} per event with {@code data-id}.
 * Every wait is an explicit {@link WebDriverWait}; nothing sleeps.
 */
final class DemoPage {

    static final Duration WAIT = Duration.ofSeconds(20);

    private final WebDriver driver;
    private final URI base;

    DemoPage(WebDriver driver, URI base) {
        this.driver = driver;
        this.base = base;
    }

    /** Opens {@code /} with the given URL parameters (topic, transport, token, cursor, limit). */
    DemoPage open(Map<String, String> params) {
        StringBuilder query = new StringBuilder();
        new LinkedHashMap<>(params).forEach((k, v) -> query.append(query.isEmpty() ? "?" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        driver.get(base.resolve("/" + query).toString());
        return this;
    }

    DemoPage awaitState(String state) {
        wait(WAIT).withMessage(() -> "status never became " + state + "; it is " + state())
                .until(d -> state.equals(state()));
        return this;
    }

    String state() {
        return driver.findElement(By.id("status")).getAttribute("data-state");
    }

    /** The code of the status ({@code unavailable}, {@code forbidden}, ...), empty when it has none. */
    String statusCode() {
        return driver.findElement(By.id("status")).getAttribute("data-code");
    }

    /** The transport herald.js is using now (ws, sse, poll). */
    String transport() {
        return driver.findElement(By.id("active-transport")).getAttribute("data-transport");
    }

    /** A counter of the page ({@code received}, {@code reconnects}, {@code duplicates}, {@code resets}). */
    int count(String id) {
        return Integer.parseInt(driver.findElement(By.id(id)).getAttribute("data-count"));
    }

    int nativeReconnects() {
        return Integer.parseInt(driver.findElement(By.id("reconnects")).getAttribute("data-native"));
    }

    String cursor() {
        return driver.findElement(By.id("cursor")).getAttribute("data-cursor");
    }

    DemoPage awaitReceived(int n, Duration timeout) {
        wait(timeout).withMessage(() -> "the page never received " + n + " events; it shows " + count("received"))
                .until(d -> count("received") >= n);
        return this;
    }

    /** The ids of the events on the page, oldest first (the page lists them newest first). */
    List<String> eventIds() {
        @SuppressWarnings("unchecked")
        List<String> newestFirst = (List<String>) js().executeScript(
                "return [...document.querySelectorAll('#events li.event')].map(li => li.dataset.id);");
        List<String> ids = new ArrayList<>(newestFirst);
        java.util.Collections.reverse(ids);
        return ids;
    }

    List<WebElement> events() {
        return driver.findElements(By.cssSelector("#events li.event"));
    }

    List<WebElement> resets() {
        return driver.findElements(By.cssSelector("#events li.reset"));
    }

    /**
     * Blocks the page's main thread for {@code duration}: the page stops reading its connection, as a
     * page busy with heavy work (or a slow phone) does, so the server's writes back up. The script runs
     * from another thread (WebDriver waits for it to end); the returned future completes when the page
     * is responsive again. The caller must not use the driver before then.
     */
    CompletableFuture<Void> freeze(Duration duration) {
        return CompletableFuture.runAsync(() -> js().executeScript(
                "const end = Date.now() + arguments[0]; while (Date.now() < end) {}", duration.toMillis()));
    }

    /**
     * Makes the browser fail the page's requests whose URL matches {@code pattern} ({@code *} wildcards)
     * before they leave it (DevTools {@code Network.setBlockedURLs}), until {@link #unblockRequests}.
     * Requests already sent are not affected.
     */
    void blockRequests(String pattern) {
        ChromeDriver chrome = (ChromeDriver) driver;
        chrome.executeCdpCommand("Network.enable", Map.of());
        chrome.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of(pattern)));
    }

    void unblockRequests() {
        ((ChromeDriver) driver).executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of()));
    }

    WebDriverWait wait(Duration timeout) {
        return new WebDriverWait(driver, timeout);
    }

    JavascriptExecutor js() {
        return (JavascriptExecutor) driver;
    }
}
