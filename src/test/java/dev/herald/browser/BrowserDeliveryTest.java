package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.HttpApi;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Events published over HTTP appear on the demo page, in Chromium, over each transport of herald.js. */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserDeliveryTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();

    @ParameterizedTest
    @ValueSource(strings = {"ws", "sse", "poll"})
    void eventsPublishedOverHttpAppearOnThePageNewestFirst(String transport) {
        String topic = HttpApi.topic("public");
        DemoPage page = page().open(Map.of("topic", topic, "transport", transport)).awaitState("open");
        assertEquals(transport, page.transport());
        List<String> ids = List.of(
                HttpApi.publishOk(ADMIN, topic, "message", "{\"text\":\"one\"}"),
                HttpApi.publishOk(ADMIN, topic, "chat", "{\"text\":\"two\"}"),
                // A type nobody told the page about: over SSE too (unnamed frames), every type arrives.
                HttpApi.publishOk(ADMIN, topic, "price.update", "3"));
        page.awaitReceived(3, DemoPage.WAIT);
        assertEquals(ids, page.eventIds(), "oldest first once reversed: the page lists newest first");
        assertTrue(page.events().get(0).getText().contains("price.update"), page.events().get(0).getText());
        assertTrue(page.events().get(2).getText().contains("{\"text\":\"one\"}"), page.events().get(2).getText());
        assertFalse(page.cursor().isEmpty(), "the page shows the current cursor");
        assertEquals(0, page.count("duplicates"));
    }
}
