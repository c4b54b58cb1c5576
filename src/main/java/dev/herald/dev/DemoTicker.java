package dev.herald.dev;

import dev.herald.publish.Publisher;
import dev.herald.broker.PublishRequest;
import dev.herald.config.HeraldConfig;
import dev.herald.event.Topic;
import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Publishes one small {@code tick} event per second to {@code public:demo} (a made-up price doing a
 * random walk), so that the demo page at {@code /} shows live events right after {@code ./herald dev}
 * with no other setup. Dev build profile only, like {@link DevTokens}; off with
 * {@code herald.dev.demo-ticker=false}. It publishes through the {@link Publisher}, as the publish API does.
 */
@ApplicationScoped
@IfBuildProfile("dev")
public class DemoTicker {

    static final Topic TOPIC = Topic.of("public:demo");
    private static final Logger LOG = Logger.getLogger(DemoTicker.class);

    private final Publisher publisher;
    private final HeraldConfig config;
    private final Vertx vertx;
    private final int port;
    private long timer = -1;
    private long count;
    private double price = 100;

    public DemoTicker(Publisher publisher, HeraldConfig config, Vertx vertx,
                      @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080") int port) {
        this.publisher = publisher;
        this.config = config;
        this.vertx = vertx;
        this.port = port;
    }

    void start(@Observes StartupEvent event) {
        if (config.dev().demoTicker()) {
            timer = vertx.setPeriodic(1000, id -> tick());
            LOG.infof("Demo ticker: one event per second to public:demo; open http://localhost:%d/ "
                    + "(herald.dev.demo-ticker=false turns it off)", port);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    private void tick() {
        count++;
        price = Math.max(1, price * (1 + ThreadLocalRandom.current().nextGaussian() * 0.002));
        String data = String.format(Locale.ROOT, "{\"n\":%d,\"symbol\":\"HRLD\",\"price\":%.2f}", count, price);
        publisher.publishAsServer(new PublishRequest(TOPIC, "tick", data, null)).subscribe().with(
                result -> { },
                failure -> LOG.debugf("demo tick not published: %s", failure.toString()));
    }
}
