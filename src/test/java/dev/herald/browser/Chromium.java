package dev.herald.browser;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through its chromedriver, for the browser end-to-end tests.
 *
 * <p>Paths: {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} (Debian packages
 * {@code chromium} and {@code chromium-driver}), or the system properties {@code chromium.path}
 * and {@code chromedriver.path}. When either is missing, the tests are skipped with the reason
 * printed ({@link Condition}), so a machine with only a JDK still passes the rest of the suite.
 *
 * <p>Each instance is one browser with a fresh profile directory, deleted by {@link #close}.
 */
final class Chromium implements AutoCloseable {

    static final Path BINARY = Path.of(System.getProperty("chromium.path", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(System.getProperty("chromedriver.path", "/usr/bin/chromedriver"));

    private final Path profile;
    private final ChromeDriverService service;
    private final ChromeDriver driver;

    private Chromium(Path profile, ChromeDriverService service, ChromeDriver driver) {
        this.profile = profile;
        this.service = service;
        this.driver = driver;
    }

    /** Why the browser tests cannot run here, or null when they can. */
    static String unavailableReason() {
        if (!Files.isExecutable(BINARY)) {
            return "no Chromium at " + BINARY + " (Debian: apt-get install chromium chromium-driver)";
        }
        if (!Files.isExecutable(DRIVER)) {
            return "no chromedriver at " + DRIVER + " (Debian: apt-get install chromium-driver)";
        }
        return null;
    }

    static Chromium start() throws IOException {
        Path profile = Files.createTempDirectory("herald-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(new File("target/chromedriver.log"))
                .build();
        ChromeDriver driver;
        try {
            driver = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            deleteTree(profile);
            throw e;
        }
        driver.manage().window().setSize(new Dimension(1280, 900));
        return new Chromium(profile, service, driver);
    }

    ChromeDriver driver() {
        return driver;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is not worth failing a test for
        }
    }

    /** Skips (with the reason printed) the browser tests where Chromium or chromedriver is missing. */
    static final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String reason = unavailableReason();
            if (reason == null) {
                return ConditionEvaluationResult.enabled("Chromium and chromedriver found");
            }
            System.out.println("SKIPPED browser tests in " + context.getDisplayName() + ": " + reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
