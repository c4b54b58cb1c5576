package dev.herald.browser;

import io.quarkus.test.common.http.TestHTTPResource;
import java.io.IOException;
import java.net.URI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of the browser end-to-end tests: one headless Chromium per test class (a fresh profile each),
 * pages opened against the {@code @QuarkusTest} server. Skipped, with the reason printed, where
 * Chromium or chromedriver is not installed.
 */
@ExtendWith(Chromium.Condition.class)
abstract class BrowserTest {

    static Chromium chromium;

    @BeforeAll
    static void startChromium() throws IOException {
        chromium = Chromium.start();
    }

    @AfterAll
    static void stopChromium() {
        if (chromium != null) {
            chromium.close();
            chromium = null;
        }
    }

    @TestHTTPResource("/")
    URI base;

    DemoPage page() {
        return new DemoPage(chromium.driver(), base);
    }

    /** The harness page, opened and with herald.js loaded. */
    HarnessPage harness() {
        return new HarnessPage(chromium.driver(), base).open();
    }
}
