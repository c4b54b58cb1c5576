package dev.herald.browser;

import static dev.herald.support.JobsApi.leaseOne;
import static dev.herald.support.JobsApi.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.support.TestTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo page's jobs panel in Chromium: submit a job, see the progress bar reach 100% and the result,
 * over WebSocket and long polling. The test is the worker (the dev profile's sample worker is not in tests).
 */
@QuarkusTest
@TestProfile(BrowserProfile.class)
class BrowserJobsPanelTest extends BrowserTest {

    @ParameterizedTest
    @ValueSource(strings = {"ws", "poll"})
    void aSubmittedJobsProgressBarReaches100AndItsResultShows(String transport) {
        String token = TestTokens.queues("page", List.of("demo:jobs"), List.of(), List.of());
        String worker = TestTokens.queues("w", List.of(), List.of("demo:*"), List.of());
        WebDriver driver = chromium.driver();
        driver.get(base.resolve("/?transport=" + transport + "&token="
                + URLEncoder.encode(token, StandardCharsets.UTF_8)).toString());
        WebDriverWait wait = new WebDriverWait(driver, DemoPage.WAIT);
        wait.until(d -> d.findElement(By.id("jobs-card")).isDisplayed());
        driver.findElement(By.id("submit-job")).click();
        wait.until(d -> "queued".equals(d.findElement(By.id("job-status")).getDomAttribute("data-status")));

        JsonPath job = leaseOne(worker, "demo:jobs");
        String id = job.getString("id");
        String lease = job.getString("lease");
        for (int progress : new int[] {20, 60, 100}) {
            report(worker, id, "progress", "{\"lease\":\"" + lease + "\",\"progress\":" + progress + "}")
                    .then().statusCode(200);
        }
        wait.until(d -> "100".equals(d.findElement(By.id("job-progress")).getDomProperty("value")));
        report(worker, id, "ack", "{\"lease\":\"" + lease + "\",\"result\":{\"frames\":5}}").then().statusCode(200);
        wait.until(d -> "succeeded".equals(d.findElement(By.id("job-status")).getDomAttribute("data-status")));
        assertEquals("{\"frames\":5}", driver.findElement(By.id("job-result")).getText());
        assertTrue(driver.findElement(By.id("job-status")).getText().startsWith(id));
    }
}
