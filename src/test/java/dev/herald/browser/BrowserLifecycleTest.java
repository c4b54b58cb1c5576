package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.Metrics;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * herald.js holds connections only while it should: with {@code visibleOnly} (the demo page sets it) a
 * hidden page lets go of its connection and resumes from its cursor when shown again; close() (the demo
 * page closes its client when the transport is switched) releases the socket. Observed on the server.
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserLifecycleTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();
    static final String CONNECTIONS = "herald_connections";

    private static double connections(String transport) {
        return Metrics.value(CONNECTIONS, "transport=\"" + transport + "\"");
    }

    /** No page of this browser holds a connection: the counts below start from a known state. */
    @BeforeEach
    void blankPage() {
        chromium.driver().get("about:blank");
        page().wait(DemoPage.WAIT).withMessage("connections left open on the server")
                .until(d -> connections("ws") == 0 && connections("sse") == 0);
    }

    @Test
    void hiddenPageReleasesItsConnectionAndResumesWithoutLossWhenShownAgain() {
        ChromeDriver driver = chromium.driver();
        double before = connections("ws");
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", "ws")).awaitState("open");
        List<String> ids = new ArrayList<>(List.of(HttpApi.publishOk(ADMIN, topic, "message", "1")));
        page.awaitReceived(1, DemoPage.WAIT);
        assertEquals(before + 1, connections("ws"));

        String demo = driver.getWindowHandle();
        driver.switchTo().newWindow(WindowType.TAB);   // the demo page is now in a background tab: hidden
        page.wait(DemoPage.WAIT).withMessage("the hidden page kept its WebSocket")
                .until(d -> connections("ws") == before);
        ids.add(HttpApi.publishOk(ADMIN, topic, "message", "2"));
        ids.add(HttpApi.publishOk(ADMIN, topic, "message", "3"));

        driver.close();
        driver.switchTo().window(demo);
        driver.executeCdpCommand("Page.bringToFront", Map.of());
        page.awaitReceived(3, DemoPage.WAIT);
        assertEquals(ids, page.eventIds(), "the events published while hidden, once, in order");
        assertEquals(0, page.count("duplicates"));
        assertEquals(before + 1, connections("ws"));
    }

    @Test
    void switchingTransportClosesTheOldConnection() {
        double ws = connections("ws");
        double sse = connections("sse");
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", "ws")).awaitState("open");
        assertEquals(ws + 1, connections("ws"));
        chromium.driver().findElement(By.cssSelector("#transport input[value=sse] + span")).click();
        page.wait(DemoPage.WAIT).until(d -> "sse".equals(page.transport()) && "open".equals(page.state()));
        page.wait(DemoPage.WAIT).withMessage("the closed client's WebSocket is still open")
                .until(d -> connections("ws") == ws);
        assertEquals(sse + 1, connections("sse"));
    }
}
