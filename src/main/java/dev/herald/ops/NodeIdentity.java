package dev.herald.ops;

import dev.herald.config.HeraldConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Who this node is: a {@link #name()} for people (the pod name in Kubernetes) and an {@link #instance()}
 * id unique to this process, which names the node's presence members in the shared store (a restarted
 * container keeps its pod name but must not inherit the members of its previous life).
 */
@ApplicationScoped
public class NodeIdentity {

    private static final Logger LOG = Logger.getLogger(NodeIdentity.class);

    private final String name;
    private final String instance = UUID.randomUUID().toString().substring(0, 13);
    private final String version;
    private final Instant started = Instant.now();

    public NodeIdentity(HeraldConfig config,
                        @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version) {
        this.name = config.nodeName().orElseGet(NodeIdentity::hostName);
        this.version = version;
    }

    /** {@code herald.node-name}, else the host name (in Kubernetes, the pod's name). */
    public String name() {
        return name;
    }

    public String instance() {
        return instance;
    }

    public String version() {
        return version;
    }

    public Instant started() {
        return started;
    }

    void logAtStartup(@Observes StartupEvent event) {
        LOG.infof("Herald %s node %s (instance %s)", version, name, instance);
    }

    private static String hostName() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "herald";
        }
    }
}
