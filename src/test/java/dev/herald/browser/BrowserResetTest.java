package dev.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.support.HttpApi;
import dev.herald.support.SseClient;
import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.WebElement;

/** A cursor older than the retained history reaches the app as a herald.reset, then events go on live. */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserResetTest extends BrowserTest {

    static final String ADMIN = TestTokens.admin();

    /** A cursor after the first event of {@code topic}, then 1005 more events: more than history keeps (1000). */
    private String staleCursor(String topic) {
        String cursor;
        try (SseClient sse = SseClient.open(base, List.of(topic), ADMIN, null)) {
            sse.preamble(Duration.ofSeconds(5));
            HttpApi.publishOk(topic, "0");
            cursor = sse.expectEvent(Duration.ofSeconds(5)).id();
        }
        String event = "{\"topic\":\"" + topic + "\",\"data\":1}";
        HttpApi.publishBatch(ADMIN, "{\"events\":[" + String.join(",", Collections.nCopies(1000, event)) + "]}")
                .then().statusCode(202);
        for (int i = 0; i < 5; i++) {
            HttpApi.publishOk(topic, "2");
        }
        return cursor;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws", "sse", "poll"})
    void cursorOlderThanTheHistoryIsShownAsAResetThenEventsGoOnLive(String transport) {
        String topic = HttpApi.topic("public");
        String cursor = staleCursor(topic);
        DemoPage page = page().open(Map.of("topic", topic, "transport", transport, "cursor", cursor));
        page.wait(DemoPage.WAIT).withMessage("no reset shown").until(d -> !page.resets().isEmpty());
        WebElement reset = page.resets().get(0);
        assertEquals("history-exceeded", reset.getAttribute("data-reason"));
        assertEquals(topic, reset.getAttribute("data-topics"));
        assertEquals(1, page.count("resets"));
        assertEquals(0, page.count("received"), "no partial replay after a reset");

        String live = HttpApi.publishOk(ADMIN, topic, "message", "{\"live\":true}");
        page.awaitReceived(1, DemoPage.WAIT);
        assertEquals(List.of(live), page.eventIds());
        assertEquals(1, page.resets().size());
    }
}
