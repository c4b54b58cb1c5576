package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * A subscription the server refuses reaches the app as an error with Herald's code (the subscription's
 * onError and the status), whatever the transport; an SSE refusal (EventSource only sees "closed") is
 * told apart by herald.js probing the same URL.
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserRefusalTest extends BrowserTest {

    private WebElement awaitRefusal(DemoPage page) {
        page.wait(DemoPage.WAIT).withMessage("no refusal shown")
                .until(d -> !d.findElements(By.cssSelector("#events li.error")).isEmpty());
        return chromium.driver().findElement(By.cssSelector("#events li.error"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "sse", "poll"})
    void aTokenWithoutTheRightIsShownAsForbidden(String transport) {
        String token = TestTokens.token("bob", List.of("room:*"), List.of());
        DemoPage page = page().open(Map.of("topic", HttpApi.topic("private"), "transport", transport, "token", token));
        assertEquals("forbidden", awaitRefusal(page).getAttribute("data-code"));
        // 403 stops, with status error, on every transport (README); over a WebSocket the socket stays
        // open for other subscriptions, but this refused one is the page's only subscription.
        page.awaitState("error");
        assertEquals("forbidden", page.statusCode());
        assertEquals(0, page.count("received"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "sse", "poll"})
    void anExpiredTokenIsShownAsUnauthorized(String transport) {
        DemoPage page = page().open(Map.of("topic", HttpApi.topic("private"), "transport", transport,
                "token", TestTokens.expired("bob")));
        assertEquals("unauthorized", awaitRefusal(page).getAttribute("data-code"));
        page.awaitState("error");
    }
}
