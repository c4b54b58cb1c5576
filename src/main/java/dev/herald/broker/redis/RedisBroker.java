package dev.herald.broker.redis;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerListener;
import dev.herald.broker.BrokerMetrics;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.HistoryPage;
import dev.herald.broker.PresenceStore;
import dev.herald.broker.PublishOutcomeUnknownException;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import dev.herald.event.Event;
import dev.herald.event.EventId;
import dev.herald.event.Topic;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The Redis broker: any number of Herald nodes on one Redis (or Redis Cluster) act as one gateway.
 * Choose it to run more than one node or to keep history across restarts.
 *
 * <ul>
 *   <li>Publish runs one Lua script: idempotency check, XADD to the topic's stream trimmed to the
 *   retention, and PUBLISH of the event on the topic's channel, atomically. 202 means the XADD
 *   happened.</li>
 *   <li>History and resume read the stream, so a cursor from any node resumes on any other.</li>
 *   <li>Live events come from one pub/sub connection per node, subscribed only to the topics with
 *   local subscribers ({@link LiveChannels}); after that connection drops and returns, each active
 *   topic's stream is read from the last id delivered, so nothing published meanwhile is lost.</li>
 * </ul>
 * Every call is non-blocking (Vert.x Redis client) and has a deadline ({@link PooledCommands}). A
 * command Redis did not run fails with {@link BrokerUnavailableException}; a publish that was sent but
 * not answered fails with {@link PublishOutcomeUnknownException} (it may be stored), any other
 * unanswered command with {@link BrokerUnavailableException}.
 */
public final class RedisBroker implements Broker, LiveChannels.Streams {

    static final String NAME = "redis";
    /**
     * A topic's meta hash (head, floor) lives this many idle-topic TTLs: after its stream expired, a
     * cursor into it still gets a reset. Only a cursor older than this could resume without one.
     */
    static final int META_TTL_FACTOR = 30;
    private static final RedisScript PUBLISH = RedisScript.load("publish.lua").afterAppend();
    private static final RedisScript READ = RedisScript.load("read.lua");

    private static final Logger LOG = Logger.getLogger(RedisBroker.class);

    private final PooledCommands commands;
    private final RedisKeys keys;
    private final RedisBrokerSettings settings;
    private final BrokerMetrics metrics;
    private final LiveChannels live;
    private final RedisPresence presence;
    private final AtomicBoolean memoryPolicyChecked = new AtomicBoolean();
    private volatile boolean closed;

    private final LoopClients clients;

    /** A broker whose commands all go through {@code redis}'s pool. */
    public RedisBroker(Vertx vertx, Redis redis, RedisBrokerSettings settings, BrokerMetrics metrics) {
        this(vertx, redis, null, settings, metrics);
    }

    /**
     * @param redis      the client for pub/sub and for commands from threads that are not event loops
     * @param loopClient makes a client with {@code redis}'s options, one per event loop on its first command
     *                   there ({@link LoopClients}), or null to send every command through {@code redis}
     */
    public RedisBroker(Vertx vertx, Redis redis, Supplier<Redis> loopClient, RedisBrokerSettings settings,
                       BrokerMetrics metrics) {
        this.clients = new LoopClients(redis, loopClient);
        this.commands = new PooledCommands(vertx, clients);
        this.keys = new RedisKeys(settings.keyPrefix());
        this.settings = settings;
        this.metrics = metrics;
        this.live = new LiveChannels(vertx, redis, keys, this, settings, metrics);
        this.presence = new RedisPresence(this, keys, settings.shardedPubSub(), settings.presenceTtl());
    }

    /**
     * Redis bounds what it holds of Herald's only by its own {@code maxmemory}: reads it and warns
     * once when Redis has none, or an eviction policy that could drop Herald's keys silently
     * ({@link RedisMemoryPolicy}). Called at startup and by readiness checks until Redis has answered;
     * never fails.
     */
    public Uni<Void> checkMemoryPolicy() {
        if (memoryPolicyChecked.get()) {
            return Uni.createFrom().voidItem();
        }
        return send("INFO", Request.cmd(Command.INFO).arg("memory"))
                .invoke(info -> {
                    if (memoryPolicyChecked.compareAndSet(false, true)) {
                        RedisMemoryPolicy.of(info.toString()).log(LOG);
                    }
                })
                .replaceWithVoid()
                .onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Redis memory policy not checked yet: %s", failure.getMessage());
                    return null;
                });
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PresenceStore presence() {
        return presence;
    }

    @Override
    public void setListener(BrokerListener listener) {
        live.setListener(listener);
    }

    @Override
    public Uni<PublishResult> publish(PublishRequest request) {
        Topic topic = request.topic();
        String key = request.idempotencyKey();
        List<String> args = List.of(
                keys.channel(topic), request.type(), request.data(),
                String.valueOf(settings.retention().maxEvents()),
                String.valueOf(settings.retention().maxAge().toMillis()),
                String.valueOf(settings.retention().idempotencyWindow().toMillis()),
                key == null ? "0" : "1",
                settings.shardedPubSub() ? "SPUBLISH" : "PUBLISH",
                String.valueOf(settings.idleTopicTtl().toMillis()),
                String.valueOf(settings.idleTopicTtl().toMillis() * META_TTL_FACTOR),
                String.valueOf(settings.retention().bytes().perTopic()),
                request.trace() == null ? "" : request.trace());
        List<String> scriptKeys = List.of(keys.stream(topic), keys.meta(topic),
                keys.idempotency(topic, key == null ? "-" : key));
        return script(PUBLISH, scriptKeys, args, settings.publishTimeout())
                .onFailure(PooledCommands.OutcomeUnknownException.class).transform(t -> {
                    metrics.publishOutcomeUnknown(NAME);
                    LOG.debugf("publish to %s: %s", topic, t.getMessage());
                    return new PublishOutcomeUnknownException("Redis did not answer in time; the event may or may "
                            + "not be stored: retry with the same Idempotency-Key", t);
                })
                .map(r -> {
                    int byBytes = r.size() > 2 ? r.get(2).toInteger() : 0;
                    if (byBytes > 0) {
                        metrics.historyEvicted(NAME, "topic-bytes", byBytes);
                    }
                    return new PublishResult(topic, EventId.parse(r.get(0).toString()), r.get(1).toInteger() == 1);
                });
    }

    @Override
    public Uni<HistoryPage> read(Topic topic, EventId after, int limit) {
        String start = after.equals(EventId.ZERO) ? "-" : "(" + after;
        return script(READ, List.of(keys.stream(topic), keys.meta(topic)),
                List.of(start, String.valueOf(limit), String.valueOf(settings.retention().maxAge().toMillis())))
                .map(r -> {
                    EventId head = EventId.parse(r.get(0).toString());
                    EventId floor = EventId.parse(r.get(1).toString());
                    List<Event> events = entries(topic, r.get(2));
                    boolean truncated = after.isBefore(floor) || after.isAfter(head);
                    return new HistoryPage(events, truncated, head);
                });
    }

    /** Decodes XRANGE entries: [[id, [field, value, ...]], ...]. */
    static List<Event> entries(Topic topic, Response entries) {
        List<Event> events = new ArrayList<>(entries == null ? 0 : entries.size());
        if (entries == null) {
            return events;
        }
        for (Response entry : entries) {
            EventId id = EventId.parse(entry.get(0).toString());
            Response fields = entry.get(1);
            String type = null;
            String data = null;
            String trace = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String field = fields.get(i).toString();
                if (field.equals("t")) {
                    type = fields.get(i + 1).toString();
                } else if (field.equals("d")) {
                    data = fields.get(i + 1).toString();
                } else if (field.equals("p")) {
                    trace = fields.get(i + 1).toString();
                }
            }
            events.add(new Event(id, topic, type, data, id.millis(), trace));
        }
        return events;
    }

    @Override
    public Uni<EventId> head(Topic topic) {
        return send("HGET", Request.cmd(Command.HGET).arg(keys.meta(topic)).arg("h"))
                .map(r -> r == null ? EventId.ZERO : EventId.parse(r.toString()));
    }

    @Override
    public Uni<Void> subscribe(Topic topic) {
        return live.subscribe(topic);
    }

    @Override
    public Uni<Void> unsubscribe(Topic topic) {
        return live.unsubscribe(topic);
    }

    @Override
    public Uni<Boolean> isAvailable() {
        if (closed || !live.connected()) {
            return Uni.createFrom().item(false);
        }
        return send("PING", Request.cmd(Command.PING)).map(r -> true).onFailure().recoverWithItem(false)
                .call(up -> up ? checkMemoryPolicy() : Uni.createFrom().voidItem());
    }

    @Override
    public void close() {
        closed = true;
        live.close();
        clients.close();
    }

    /**
     * Runs another part's script (the job store's) on this broker's connections, within the command
     * timeout: fails with {@link BrokerUnavailableException} when Redis did not run it or did not answer.
     */
    public Uni<Response> eval(RedisScript script, List<String> scriptKeys, List<String> args) {
        return script(script, scriptKeys, args);
    }

    /**
     * {@link #eval} for a script that stores what a client is then promised (an enqueue), within the
     * publish timeout: a call sent and not answered fails with {@link PublishOutcomeUnknownException}, as a
     * publish does, since it may have stored.
     */
    public Uni<Response> evalStoring(RedisScript script, List<String> scriptKeys, List<String> args) {
        return script(script, scriptKeys, args, settings.publishTimeout())
                .onFailure(PooledCommands.OutcomeUnknownException.class).transform(t -> new PublishOutcomeUnknownException(
                        "Redis did not answer in time; the job may or may not be stored: retry with the same "
                                + "Idempotency-Key", t));
    }

    /**
     * What another part's script needs to append events to topics itself, as {@link #publish} would (for
     * {@code herald_append} of {@link RedisScript#afterAppend}): one argument, the key prefix, then max
     * events, max age ms, max bytes per topic, PUBLISH or SPUBLISH, the stream's and the meta hash's idle
     * TTL ms, separated by line breaks. The script builds a topic's keys as {@link RedisKeys} does, so it
     * may only run on a single Redis, where keys of any slot may be touched by one script.
     */
    public String appendOptions() {
        return String.join("\n", settings.keyPrefix(), String.valueOf(settings.retention().maxEvents()),
                String.valueOf(settings.retention().maxAge().toMillis()),
                String.valueOf(settings.retention().bytes().perTopic()),
                settings.shardedPubSub() ? "SPUBLISH" : "PUBLISH",
                String.valueOf(settings.idleTopicTtl().toMillis()),
                String.valueOf(settings.idleTopicTtl().toMillis() * META_TTL_FACTOR));
    }

    /**
     * Counts events another part's script appended ({@link #appendOptions}) as publishes are counted: each
     * timed as a {@code publish} taking the whole script call's {@code nanos}, and the entries the byte
     * bound dropped.
     */
    public void appended(int events, int droppedByBytes, long nanos) {
        for (int i = 0; i < events; i++) {
            metrics.brokerCommand(NAME, "publish", nanos);
        }
        if (droppedByBytes > 0) {
            metrics.historyEvicted(NAME, "topic-bytes", droppedByBytes);
        }
    }

    /** The prefix of every key and channel of this deployment. */
    public String keyPrefix() {
        return settings.keyPrefix();
    }

    /** Runs a script (by SHA, by text when Redis does not have it) within the command timeout. */
    Uni<Response> script(RedisScript script, List<String> scriptKeys, List<String> args) {
        return script(script, scriptKeys, args, settings.commandTimeout())
                .onFailure(PooledCommands.OutcomeUnknownException.class).transform(RedisBroker::unavailable);
    }

    /**
     * Runs a script within {@code deadline}; fails with {@link BrokerUnavailableException} when it did not
     * run, with {@link PooledCommands.OutcomeUnknownException} when it may have.
     */
    private Uni<Response> script(RedisScript script, List<String> scriptKeys, List<String> args, Duration deadline) {
        Request bySha = Request.cmd(Command.EVALSHA).arg(script.sha()).arg(scriptKeys.size());
        scriptKeys.forEach(bySha::arg);
        args.forEach(bySha::arg);
        // Timed under the script's name (publish, read, presence), as the NATS broker names its commands.
        String name = script.name().replace(".lua", "");
        return command(name, bySha, deadline).onFailure(RedisBroker::isNoScript).recoverWithUni(() -> {
            // NOSCRIPT is Redis' answer: EVALSHA ran nothing, so sending the text cannot store twice.
            Request byText = Request.cmd(Command.EVAL).arg(script.text()).arg(scriptKeys.size());
            scriptKeys.forEach(byText::arg);
            args.forEach(byText::arg);
            return command(name, byText, deadline);
        });
    }

    private static boolean isNoScript(Throwable t) {
        return t.getCause() != null && t.getCause().getMessage() != null
                && t.getCause().getMessage().startsWith("NOSCRIPT");
    }

    /** Sends one command within the command timeout; every failure becomes BrokerUnavailableException. */
    Uni<Response> send(String name, Request request) {
        return command(name, request, settings.commandTimeout())
                .onFailure(PooledCommands.OutcomeUnknownException.class).transform(RedisBroker::unavailable);
    }

    private static BrokerUnavailableException unavailable(Throwable t) {
        return new BrokerUnavailableException("the broker is unavailable; retry later", t);
    }

    /**
     * One command through {@link PooledCommands}, timed. The client learns only that the broker is
     * unavailable (or did not answer); host and port stay in the debug log.
     */
    private Uni<Response> command(String name, Request request, Duration deadline) {
        if (closed) {
            return Uni.createFrom().failure(new BrokerUnavailableException("the broker is closed"));
        }
        return Uni.createFrom().deferred(() -> {
                    long start = System.nanoTime();
                    return commands.send(name, request, deadline)
                            .onTermination().invoke(() -> metrics.brokerCommand(NAME, name, System.nanoTime() - start));
                })
                .onFailure().invoke(t -> LOG.debugf("Redis %s failed: %s", name, t.getMessage()))
                .onFailure(BrokerUnavailableException.class).transform(t -> new BrokerUnavailableException(
                        "the broker is unavailable; retry later", t.getCause() == null ? t : t.getCause()));
    }
}
