package dev.herald.support;

import static io.restassured.RestAssured.given;

/** Reads Prometheus samples from {@code /q/metrics}, for tests. */
public final class Metrics {

    private static final String CONNECTIONS = "herald_connections";
    private static final String POLLS = "transport=\"poll\"";

    private Metrics() {
    }

    /**
     * The sum of the samples of {@code name} whose labels contain every one of {@code labels} (each
     * like {@code transport="sse"}); 0 when there is none.
     */
    public static double value(String name, String... labels) {
        return sample(given().get("/q/metrics").then().statusCode(200).extract().asString(), name, labels);
    }

    /** As {@link #value}, read from a scrape taken elsewhere (e.g. from a separate process). */
    public static double sample(String text, String name, String... labels) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Long polls the {@code @QuarkusTest} server holds now: the {@code herald_connections} gauge of polls. */
    public static double heldPolls() {
        return value(CONNECTIONS, POLLS);
    }

    /** As {@link #heldPolls()}, read from a scrape taken elsewhere (e.g. {@link NodeApi#metrics}). */
    public static double heldPolls(String scrape) {
        return sample(scrape, CONNECTIONS, POLLS);
    }

    /** Events stored by publishes since the application started. */
    public static double published() {
        return value("herald_events_published_total");
    }
}
