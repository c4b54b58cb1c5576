package dev.herald.support;

import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@code GET /v1/poll} over real HTTP (java.net.http), synchronously or held in the background. */
public final class PollClient {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private PollClient() {
    }

    /** One poll answer: status, headers and body, with accessors for the {@code events}/{@code cursor} shape. */
    public record Answer(int status, HttpResponse<String> response) {

        public String body() {
            return response.body();
        }

        public String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        public JsonPath json() {
            return JsonPath.from(body());
        }

        public String cursor() {
            return json().getString("cursor");
        }

        /** The events (and notices) of the answer, as maps. */
        public List<Map<String, Object>> events() {
            return json().getList("events");
        }

        /** The ids of the events, in order (notices have none and are skipped). */
        public List<String> ids() {
            List<String> ids = new ArrayList<>();
            for (Map<String, Object> e : events()) {
                if (e.get("id") != null) {
                    ids.add((String) e.get("id"));
                }
            }
            return ids;
        }

        /** Asserts a 200 event answer and returns this. */
        public Answer ok() {
            if (status != 200) {
                throw new AssertionError("expected 200, got " + status + ": " + body());
            }
            return this;
        }
    }

    /** Builds a poll request; {@code send()} or {@code hold()} it. */
    public static Request to(URI base, List<String> topics) {
        return new Request(base, topics);
    }

    public static final class Request {
        private final URI base;
        private final List<String> query = new ArrayList<>();
        private String token;

        private Request(URI base, List<String> topics) {
            this.base = base;
            topics.forEach(t -> query("topic", t));
        }

        public Request token(String token) {
            this.token = token;
            return this;
        }

        public Request cursor(String cursor) {
            return cursor == null ? this : query("cursor", cursor);
        }

        public Request timeout(int seconds) {
            return query("timeout", String.valueOf(seconds));
        }

        /** Adds a query parameter, URL-encoded (so control characters travel as %0D%0A). */
        public Request query(String name, String value) {
            query.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
            return this;
        }

        /** Adds a query string part as given, not encoded. */
        public Request rawQuery(String part) {
            query.add(part);
            return this;
        }

        private HttpRequest build() {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/poll?" + String.join("&", query)))
                    .timeout(Duration.ofSeconds(90)).GET();
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return b.build();
        }

        /** Sends the poll in the background; the future completes with its answer. */
        public CompletableFuture<Answer> hold() {
            return HTTP.sendAsync(build(), HttpResponse.BodyHandlers.ofString())
                    .thenApply(r -> new Answer(r.statusCode(), r));
        }

        /** Sends the poll and waits for its answer (at most 90 seconds). */
        public Answer send() {
            try {
                return hold().get(90, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new UncheckedIOException(new IOException("poll failed", e.getCause()));
            } catch (InterruptedException | TimeoutException e) {
                throw new AssertionError("no poll answer", e);
            }
        }
    }

    /** Waits for a held poll's answer. */
    public static Answer await(CompletableFuture<Answer> held, Duration atMost) {
        try {
            return held.get(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("poll failed", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("no poll answer within " + atMost, e);
        }
    }
}
