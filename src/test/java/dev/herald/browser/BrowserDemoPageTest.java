package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;

/** The demo page itself: identity, the publish form, the automatic transport choice, and its screenshot. */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserDemoPageTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();

    private String blocker;

    @AfterEach
    void unblock() {
        if (blocker != null) {
            chromium.driver().executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument", Map.of("identifier", blocker));
            blocker = null;
        }
    }

    /**
     * Makes the next pages' {@code new WebSocket(...)} (and {@code new EventSource(...)} when asked) go to
     * a path the server does not serve, so the browser sees the upgrade (or the stream) refused, as it
     * does behind a proxy that blocks it. The page's own code is untouched.
     */
    private void blockInNextPages(boolean webSocket, boolean eventSource) {
        StringBuilder js = new StringBuilder();
        if (webSocket) {
            js.append("window.WebSocket = class extends WebSocket {"
                    + " constructor(url, p) { super(String(url).replace('/v1/ws', '/v1/blocked-ws'), p); } };");
        }
        if (eventSource) {
            js.append("window.EventSource = class extends EventSource {"
                    + " constructor(url, o) { super(String(url).replace('/v1/stream', '/v1/blocked-stream'), o); } };");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) chromium.driver().executeCdpCommand(
                "Page.addScriptToEvaluateOnNewDocument", Map.of("source", js.toString()));
        blocker = (String) result.get("identifier");
    }

    @Test
    void autoChoosesTheWebSocket() {
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", "auto")).awaitState("open");
        assertEquals("ws", page.transport());
    }

    /** 'auto' tries WebSocket first; when it cannot open, herald.js falls back to SSE. */
    @Test
    void autoFallsBackToSseWhenTheWebSocketIsBlocked() {
        blockInNextPages(true, false);
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", "auto")).awaitState("open");
        assertEquals("sse", page.transport());
        String id = HttpApi.publishOk(ADMIN, topic, "message", "\"after fallback\"");
        page.awaitReceived(1, DemoPage.WAIT);
        assertEquals(List.of(id), page.eventIds());
    }

    @Test
    void withoutATokenThePageSubscribesAnonymouslyAndOffersNoPublishForm() {
        // /dev/token exists in dev mode only: here it answers 404 and the page goes on without a token.
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", "sse")).awaitState("open");
        assertEquals("anonymous", chromium.driver().findElement(By.id("identity")).getText());
        assertFalse(chromium.driver().findElement(By.id("publish-card")).isDisplayed());
        String id = HttpApi.publishOk(ADMIN, topic, "message", "\"hi\"");
        page.awaitReceived(1, DemoPage.WAIT);
        assertEquals(List.of(id), page.eventIds());
    }

    /** When neither the WebSocket nor the event stream opens, herald.js falls back to long polling. */
    @Test
    void autoFallsBackToLongPollingWhenWebSocketAndSseAreBlocked() {
        blockInNextPages(true, true);
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", "auto")).awaitState("open");
        assertEquals("poll", page.transport());
        String id = HttpApi.publishOk(ADMIN, topic, "message", "\"after fallback\"");
        page.awaitReceived(1, DemoPage.WAIT);
        assertEquals(List.of(id), page.eventIds());
    }

    /**
     * With a token that may publish, the page offers the publish form; what it publishes comes back on
     * the subscription. Saves a screenshot to target/screenshots/demo.png, and to the path in the system
     * property {@code demo.screenshot} when set (the README's docs/demo.png is made that way).
     */
    @Test
    void publishFormPublishesAndThePageLooksRight() throws IOException {
        String token = TestTokens.token("demo", List.of("public:*"), List.of("public:*"));
        String topic = "public:demo";
        DemoPage page = page().open(Map.of("topic", topic, "token", token)).awaitState("open");
        assertEquals("demo", chromium.driver().findElement(By.id("identity")).getText());
        WebElement card = chromium.driver().findElement(By.id("publish-card"));
        assertTrue(card.isDisplayed(), "a token with publish rights shows the publish form");

        HttpApi.publishOk(ADMIN, topic, "tick", "{\"n\":1,\"symbol\":\"HRLD\",\"price\":100.12}");
        HttpApi.publishOk(ADMIN, topic, "chat", "{\"user\":\"alice\",\"text\":\"deploy is green\"}");
        HttpApi.publishOk(ADMIN, topic, "tick", "{\"n\":2,\"symbol\":\"HRLD\",\"price\":100.31}");
        HttpApi.publishOk(ADMIN, topic, "message", "{\"order\":4711,\"status\":\"shipped\"}");
        HttpApi.publishOk(ADMIN, topic, "tick", "{\"n\":3,\"symbol\":\"HRLD\",\"price\":99.87}");
        page.awaitReceived(5, DemoPage.WAIT);

        WebElement data = chromium.driver().findElement(By.id("publish-data"));
        data.clear();
        data.sendKeys("{\"user\":\"demo\",\"text\":\"hello from the page\"}");
        chromium.driver().findElement(By.id("publish")).click();
        page.wait(DemoPage.WAIT).until(d -> d.findElement(By.id("publish-result")).getText().startsWith("published "));
        String published = chromium.driver().findElement(By.id("publish-result")).getText().substring("published ".length());
        page.awaitReceived(6, DemoPage.WAIT);
        List<String> ids = page.eventIds();
        assertEquals(published, ids.get(ids.size() - 1), "the page's own publish came back as the newest event");

        page.js().executeScript("document.activeElement.blur(); window.scrollTo(0, 0);");
        // New events flash briefly: wait for the page to settle.
        page.wait(DemoPage.WAIT).until(d -> Long.valueOf(0).equals(
                page.js().executeScript("return document.getAnimations().length;")));
        // The whole page in one picture: the window as tall as the document plus the browser's own frame.
        long height = (Long) page.js().executeScript(
                "return document.documentElement.scrollHeight + (window.outerHeight - window.innerHeight);");
        chromium.driver().manage().window().setSize(new Dimension(1280, (int) height));
        Path shot = Path.of("target", "screenshots", "demo.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, chromium.driver().getScreenshotAs(OutputType.BYTES));
        String copy = System.getProperty("demo.screenshot");
        if (copy != null && !copy.isBlank()) {
            Files.copy(shot, Path.of(copy), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
