package dev.herald.broker.nats;

import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.Republish;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * The node's one NATS connection, its stream and its presence bucket. The client reconnects on its own
 * (forever, to any server of the cluster it learnt) and restores core subscriptions; this class makes sure
 * the stream and bucket exist with the configured limits after each (re)connect, and tells
 * {@link NatsLive} when the connection was lost and when it is back. Management calls (blocking in the
 * client) run on one background thread, never on a caller's.
 */
final class NatsConnection {

    private static final Logger LOG = Logger.getLogger(NatsConnection.class);

    private final NatsBrokerSettings settings;
    private final NatsSubjects subjects;
    private final NatsLive live;
    private final BrokerMetrics metrics;
    private final ExecutorService admin = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "herald-nats-admin");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    private volatile Connection connection;
    private volatile JetStream jetStream;
    private volatile KeyValue bucket;
    private volatile boolean streamReady;
    private volatile boolean closed;

    NatsConnection(NatsBrokerSettings settings, NatsSubjects subjects, BrokerMetrics metrics, NatsLive live) {
        this.settings = settings;
        this.subjects = subjects;
        this.live = live;
        this.metrics = metrics;
        Options options = new Options.Builder()
                .servers(settings.servers().toArray(String[]::new))
                .connectionName("herald")
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(250))
                .connectionTimeout(settings.requestTimeout())
                // A half-open connection (a partition without FIN or RST) is noticed by unanswered pings.
                .pingInterval(Duration.ofSeconds(2))
                .maxPingsOut(2)
                .connectionListener(this::onEvent)
                .errorListener(new ErrorListener() {
                    @Override
                    public void slowConsumerDetected(Connection conn, io.nats.client.Consumer consumer) {
                        // Live messages were dropped by the client: the next event shows the gap, which is filled.
                        LOG.warn("NATS live messages dropped (slow consumer); gaps are filled from the stream");
                    }
                })
                .build();
        if (settings.duplicateWindow().compareTo(settings.retention().idempotencyWindow()) < 0) {
            LOG.warnf("herald.publish.idempotency-window %s is longer than herald.history.max-age %s: on NATS an "
                    + "idempotency key is remembered only %s (the stream's duplicate window cannot exceed its max age)",
                    settings.retention().idempotencyWindow(), settings.retention().maxAge(), settings.duplicateWindow());
        }
        try {
            Nats.connectAsynchronously(options, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to NATS", e);
        }
    }

    private void onEvent(Connection conn, ConnectionListener.Events event) {
        switch (event) {
            case CONNECTED -> {
                connection = conn;
                LOG.infof("connected to NATS %s", conn.getConnectedUrl());
                live.connected(conn);
                checkStream();
            }
            case RECONNECTED, RESUBSCRIBED -> {
                if (event == ConnectionListener.Events.RECONNECTED) {
                    LOG.infof("reconnected to NATS %s", conn.getConnectedUrl());
                    metrics.brokerReconnected(NatsBroker.NAME);
                    checkStream();
                }
                live.reconnected(); // fills gaps (again once the subscriptions are back: idempotent)
            }
            case DISCONNECTED -> {
                LOG.warn("NATS connection lost; reconnecting");
                live.disconnected();
            }
            default -> {
            }
        }
    }

    /** Checks (creating or updating it if needed) the stream and the presence bucket, in the background. */
    void checkStream() {
        if (closed) {
            return;
        }
        admin.execute(() -> {
            Connection conn = connection;
            if (conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
                streamReady = false;
                return;
            }
            try {
                JetStreamManagement jsm = conn.jetStreamManagement();
                StreamConfiguration config = streamConfig();
                try {
                    StreamConfiguration have = jsm.getStreamInfo(settings.stream()).getConfiguration();
                    if (have.getMaxMsgsPerSubject() != config.getMaxMsgsPerSubject()
                            || !have.getMaxAge().equals(config.getMaxAge())
                            || !have.getDuplicateWindow().equals(config.getDuplicateWindow())
                            || have.getMaxBytes() != config.getMaxBytes()
                            || have.getReplicas() != config.getReplicas()
                            || have.getRepublish() == null) {
                        jsm.updateStream(config);
                        LOG.infof("NATS stream %s updated to the configured limits", settings.stream());
                    }
                } catch (JetStreamApiException notFound) {
                    if (notFound.getErrorCode() != 404) {
                        throw notFound;
                    }
                    jsm.addStream(config);
                    LOG.infof("NATS stream %s created", settings.stream());
                }
                jetStream = conn.jetStream();
                bucket = presenceBucket(conn);
                streamReady = true;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                streamReady = false;
                LOG.warnf("NATS stream %s not ready: %s", settings.stream(), e.getMessage());
            }
        });
    }

    private StreamConfiguration streamConfig() {
        return StreamConfiguration.builder()
                .name(settings.stream())
                .subjects(subjects.historyWildcard())
                .storageType(StorageType.File)
                .replicas(settings.replicas())
                .maxMessagesPerSubject(settings.retention().maxEvents())
                .maxAge(settings.retention().maxAge())
                .maxBytes(settings.maxStreamBytes())
                .discardPolicy(DiscardPolicy.Old)
                .duplicateWindow(settings.duplicateWindow())
                .republish(new Republish(subjects.historyWildcard(), subjects.liveTemplate(), false))
                .build();
    }

    private KeyValue presenceBucket(Connection conn) throws IOException, JetStreamApiException {
        try {
            conn.keyValueManagement().getStatus(settings.bucket());
        } catch (JetStreamApiException notFound) {
            if (notFound.getErrorCode() != 404) {
                throw notFound;
            }
            // Entries of topics nobody is in any more expire; live ones are rewritten every ttl / 3.
            Duration ttl = settings.presenceTtl().multipliedBy(3);
            conn.keyValueManagement().create(KeyValueConfiguration.builder().name(settings.bucket())
                    .storageType(StorageType.File).replicas(settings.replicas()).maxHistoryPerKey(1)
                    .ttl(ttl.compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1) : ttl).build());
            LOG.infof("NATS key-value bucket %s created", settings.bucket());
        }
        KeyValueSwap.narrowWindow(conn.jetStreamManagement(), settings.bucket());
        return conn.keyValue(settings.bucket());
    }

    /** Readiness: connected, and the stream answers. */
    CompletableFuture<Boolean> streamReady() {
        Connection conn = connection;
        if (conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.completedFuture(false);
        }
        if (!streamReady) {
            checkStream();
            return CompletableFuture.completedFuture(false);
        }
        return request("$JS.API.STREAM.INFO." + settings.stream(), new byte[0])
                .handle((answer, failure) -> {
                    if (failure != null) {
                        return false;
                    }
                    String json = new String(answer.getData(), java.nio.charset.StandardCharsets.UTF_8);
                    if (json.contains("\"error\"")) {
                        streamReady = false;
                        checkStream();
                        return false;
                    }
                    return true;
                });
    }

    /** A request within the request timeout; fails with BrokerUnavailableException when not connected. */
    CompletableFuture<io.nats.client.Message> request(String subject, byte[] body) {
        Connection conn = connection;
        if (closed || conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
            return CompletableFuture.failedFuture(new BrokerUnavailableException("the broker is unavailable; retry later"));
        }
        return conn.requestWithTimeout(subject, body, settings.requestTimeout())
                .thenApply(answer -> {
                    if (answer.isStatusMessage()) {
                        throw unavailable(new IOException("NATS status " + answer.getStatus().getCode()));
                    }
                    return answer;
                });
    }

    /** The JetStream context, when connected and the stream is there. */
    CompletableFuture<JetStream> jetStream() {
        try {
            return CompletableFuture.completedFuture(readyJetStream());
        } catch (BrokerUnavailableException unavailable) {
            return CompletableFuture.failedFuture(unavailable);
        }
    }

    /** The JetStream context, when connected and the stream is there; else {@link BrokerUnavailableException}. */
    JetStream readyJetStream() {
        Connection conn = connection;
        JetStream js = jetStream;
        if (closed || conn == null || js == null || conn.getStatus() != Connection.Status.CONNECTED) {
            throw new BrokerUnavailableException("the broker is unavailable; retry later");
        }
        return js;
    }

    /** The presence bucket, when ready. */
    KeyValue bucket() {
        KeyValue kv = bucket;
        Connection conn = connection;
        if (closed || kv == null || conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
            throw new BrokerUnavailableException("the broker is unavailable; retry later");
        }
        return kv;
    }

    NatsBrokerSettings settings() {
        return settings;
    }

    Connection current() {
        return connection;
    }

    /** Where the client's blocking calls (flush, key-value) run: virtual threads, never a caller's thread. */
    ExecutorService blocking() {
        return blocking;
    }

    /** Whether NATS said that no one took a request (no JetStream, or the stream has no leader right now). */
    static boolean noResponders(Throwable t) {
        String message = t.getMessage();
        return message != null && (message.contains("503") || message.contains("No Responders"));
    }

    static BrokerUnavailableException unavailable(Throwable cause) {
        return cause instanceof BrokerUnavailableException b ? b
                : new BrokerUnavailableException("the broker is unavailable; retry later", cause);
    }

    void close() {
        closed = true;
        streamReady = false;
        Connection conn = connection;
        admin.shutdownNow();
        blocking.shutdownNow();
        if (conn != null) {
            try {
                conn.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
