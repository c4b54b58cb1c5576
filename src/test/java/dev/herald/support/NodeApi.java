package dev.herald.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The HTTP API of a node through the JDK {@link HttpClient}: for nodes in their own process
 * ({@link HeraldProcess}), and for tests that need asynchronous sends or a client of their own, where
 * {@link HttpApi} (rest-assured, against the {@code @QuarkusTest} server) does not fit.
 */
public final class NodeApi {

    private NodeApi() {
    }

    /** {@code POST /v1/topics/{topic}/events} with a bearer token and a JSON body; add headers, then build. */
    public static HttpRequest.Builder publishRequest(URI base, String token, String topic, String body,
                                                     Duration timeout) {
        return HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic + "/events"))
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    /** Sends {@link #publishRequest} and returns the answer, whatever its status. */
    public static HttpResponse<String> publish(HttpClient http, URI base, String token, String topic, String body,
                                               Duration timeout) throws IOException, InterruptedException {
        return http.send(publishRequest(base, token, topic, body, timeout).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The body {@code {"type":type,"data":{"seq":seq}}}: an event a subscriber can be checked by. */
    public static String seqEvent(String type, long seq) {
        return "{\"type\":\"" + type + "\",\"data\":{\"seq\":" + seq + "}}";
    }

    /** The node's Prometheus scrape ({@code /q/metrics}), to read with {@link Metrics#sample}. */
    public static String metrics(HttpClient http, URI base) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve("/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
