package dev.herald.browser;

import java.net.URI;
import java.time.Duration;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A blank page ({@code /test/harness.html}, a test resource) where a test drives herald.js from script:
 * the module is {@code lib} ({@code new lib.Herald(...)}), and {@code net} holds the page's network
 * hooks (the WebSocket frames sent and received, switches that block a transport; see the page).
 * Every wait is an explicit {@link WebDriverWait} on a condition of the page; nothing sleeps.
 */
final class HarnessPage {

    static final Duration WAIT = DemoPage.WAIT;

    private final WebDriver driver;
    private final URI base;

    HarnessPage(WebDriver driver, URI base) {
        this.driver = driver;
        this.base = base;
    }

    HarnessPage open() {
        driver.get(base.resolve("/test/harness.html").toString());
        await("document.documentElement.dataset.ready === 'true'", "the harness page did not load herald.js");
        return this;
    }

    /** Runs {@code script} (a function body; {@code arguments[i]} are {@code args}) and returns its value. */
    Object run(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** The value of a JavaScript expression. */
    Object eval(String expression, Object... args) {
        return run("return (" + expression + ");", args);
    }

    long number(String expression, Object... args) {
        return ((Number) eval(expression, args)).longValue();
    }

    /** Waits until the JavaScript expression {@code condition} is truthy. */
    HarnessPage await(String condition, String message, Object... args) {
        return await(WAIT, condition, message, args);
    }

    HarnessPage await(Duration timeout, String condition, String message, Object... args) {
        new WebDriverWait(driver, timeout).withMessage(() -> message)
                .until(d -> Boolean.TRUE.equals(run("return !!(" + condition + ");", args)));
        return this;
    }
}
