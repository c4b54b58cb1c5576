package dev.herald.jobs.chaos;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A worker process for {@link JobsChaosIT} (JDK only, so it starts fast): leases jobs through the nodes in
 * turn, reports progress, then fails a share of them (nack) and acknowledges the rest, until it is killed.
 * Prints {@code ACK <id> <attempt>} for each ack Herald applied (200 with status succeeded) and
 * {@code NACK <id> <attempt> <status>}; the test counts those lines.
 *
 * <p>Arguments: node base URLs (comma-separated), token, queue, fail percent, random seed.
 */
public final class ChaosWorker {

    private static final Pattern JOB = Pattern.compile(
            "\"id\":\"([0-9a-f-]+)\",\"queue\":\"[^\"]*\",\"type\":\"[^\"]*\",\"data\":[^,]*,\"attempt\":(\\d+),"
                    + "\"maxAttempts\":\\d+,\"lease\":\"([0-9a-f]+)\"");
    private static final Pattern STATUS = Pattern.compile("\"status\":\"([a-z]+)\"");

    private ChaosWorker() {
    }

    public static void main(String[] args) throws Exception {
        String[] nodes = args[0].split(",");
        String token = args[1];
        String queue = args[2];
        int failPercent = Integer.parseInt(args[3]);
        Random random = new Random(Long.parseLong(args[4]));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (long round = 0; ; round++) {
            String node = nodes[(int) (round % nodes.length)];
            String answer;
            try {
                answer = post(http, node + "v1/queues/" + queue + "/leases?max=4&wait=2&visibility=3", token, null);
            } catch (Exception e) {
                Thread.sleep(100); // that node is down: the next round tries the other
                continue;
            }
            Matcher job = JOB.matcher(answer);
            while (job.find()) {
                String id = job.group(1);
                String attempt = job.group(2);
                String lease = job.group(3);
                try {
                    post(http, node + "v1/jobs/" + id + "/progress", token,
                            "{\"lease\":\"" + lease + "\",\"progress\":50}");
                    Thread.sleep(random.nextInt(20));
                    if (random.nextInt(100) < failPercent) {
                        String nacked = post(http, node + "v1/jobs/" + id + "/nack", token,
                                "{\"lease\":\"" + lease + "\",\"error\":\"chaos\"}");
                        System.out.println("NACK " + id + " " + attempt + " " + status(nacked));
                    } else {
                        String acked = post(http, node + "v1/jobs/" + id + "/ack", token,
                                "{\"lease\":\"" + lease + "\",\"result\":" + attempt + "}");
                        if ("succeeded".equals(status(acked))) {
                            System.out.println("ACK " + id + " " + attempt);
                        }
                    }
                } catch (Exception e) {
                    System.out.println("LOST " + id + " " + attempt + " " + e.getMessage());
                }
            }
        }
    }

    private static String status(String json) {
        Matcher m = STATUS.matcher(json);
        return m.find() ? m.group(1) : "?";
    }

    private static String post(HttpClient http, String url, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode());
        }
        return response.body();
    }
}
