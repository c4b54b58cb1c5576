import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Herald job worker in plain Java (JDK 11+, no dependencies): lease a job (waiting up to 25s), report
 * progress, ack it; nack it when the work throws (Herald retries with backoff, then dead-letters it).
 *
 * <pre>
 *   HERALD=http://localhost:8080 TOKEN=... QUEUE=images java examples/java/Worker.java
 * </pre>
 * The token needs the {@code work} claim on the queue. A real worker would use a JSON library; the lease
 * answer is read here with two patterns to stay a single file.
 */
public class Worker {

    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]+)\"");
    private static final Pattern LEASE = Pattern.compile("\"lease\":\"([0-9a-f]+)\"");
    private static final Pattern ATTEMPT = Pattern.compile("\"attempt\":(\\d+)");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String herald = System.getenv().getOrDefault("HERALD", "http://localhost:8080");
    private final String queue = require("QUEUE");
    private final String token = require("TOKEN");

    public static void main(String[] args) throws Exception {
        new Worker().run();
    }

    private static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("set " + name);
        }
        return value;
    }

    void run() throws InterruptedException {
        while (true) {
            try {
                String answer = post("/v1/queues/" + queue + "/leases?max=1&wait=25&visibility=30", "");
                Matcher id = ID.matcher(answer);
                if (!id.find()) {
                    continue; // nothing arrived within 25s: ask again
                }
                Matcher lease = LEASE.matcher(answer);
                lease.find();
                Matcher attempt = ATTEMPT.matcher(answer);
                attempt.find();
                handle(id.group(1), lease.group(1), attempt.group(1), answer);
            } catch (Exception e) {
                System.err.println("lease failed (" + e.getMessage() + "); retrying in 2s");
                Thread.sleep(2000);
            }
        }
    }

    private void handle(String id, String lease, String attempt, String job) throws Exception {
        System.out.println("job " + id + " (attempt " + attempt + ")");
        try {
            String result = work(id, lease, job);
            System.out.println("  " + post("/v1/jobs/" + id + "/ack", "{\"lease\":\"" + lease + "\",\"result\":" + result + "}"));
        } catch (WorkFailed e) {
            System.out.println("  " + post("/v1/jobs/" + id + "/nack",
                    "{\"lease\":\"" + lease + "\",\"error\":\"" + e.getMessage().replace("\"", "'") + "\"}"));
        }
    }

    /** The work itself; replace it with your own. Progress reports also extend the lease. */
    private String work(String id, String lease, String job) throws Exception {
        for (int step = 25; step < 100; step += 25) {
            Thread.sleep(1000);
            post("/v1/jobs/" + id + "/progress",
                    "{\"lease\":\"" + lease + "\",\"progress\":" + step + ",\"message\":\"step " + step + "\"}");
        }
        if (job.contains("\"fail\":true")) {
            throw new WorkFailed("asked to fail");
        }
        return "{\"done\":true}";
    }

    private String post(String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(herald + path))
                .timeout(Duration.ofSeconds(40)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (!body.isEmpty()) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    static final class WorkFailed extends Exception {
        WorkFailed(String message) {
            super(message);
        }
    }
}
