package dev.herald.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** All of Herald's own settings ({@code herald.*}). The README's configuration table mirrors this. */
@ConfigMapping(prefix = "herald")
public interface HeraldConfig {

    /** Which broker backs this node: {@code memory} (one node), {@code redis} or {@code nats}. Default {@code memory}. */
    @WithDefault("memory")
    String broker();

    /** This node's name in logs and {@code /v1/stats}. Default: the host name (in Kubernetes, the pod's name). */
    Optional<String> nodeName();

    History history();

    Redis redis();

    Nats nats();

    Subscriber subscriber();

    Subscription subscription();

    Publish publish();

    Sse sse();

    Ws ws();

    Presence presence();

    Auth auth();

    Cors cors();

    Shutdown shutdown();

    Dev dev();

    Poll poll();

    JobsConfig jobs();

    interface History {
        /** Events kept per topic. Default 1000. */
        @WithDefault("1000")
        int maxEvents();

        /** Events older than this are dropped from history. Default 1h. */
        @WithDefault("1h")
        Duration maxAge();

        /** Memory broker: topics kept; the least recently published idle ones are evicted beyond it. Default 100000. */
        @WithDefault("100000")
        int maxTopics();

        /**
         * Bytes of history kept per topic (e.g. {@code 4M}); beyond, the topic's oldest events are dropped
         * as they would be by count or age. Memory broker: estimated heap bytes; Redis: estimated bytes in
         * Redis. Default: 1/64 of the node's maximum heap.
         */
        Optional<MemorySize> maxTopicBytes();

        /**
         * Memory broker: bytes of history of all topics together on this node (e.g. {@code 64M}); beyond,
         * the oldest events of any topic are evicted. Default: a quarter of the node's maximum heap.
         */
        Optional<MemorySize> maxBytes();

        /** Largest {@code limit} the history API accepts. Default 1000. */
        @WithDefault("1000")
        int maxPageSize();
    }

    interface Redis {
        /** Prefix of every Redis key and channel Herald uses. Default {@code herald:}. */
        @WithDefault("herald:")
        String keyPrefix();

        /**
         * A Redis command other than a publish not answered within this fails (503), and the pooled
         * connection it was sent on is closed rather than reused (it may be half-open). Default 2s.
         */
        @WithDefault("2s")
        Duration commandTimeout();

        /**
         * A publish whose Redis connection is not obtained within this answers 503 (not stored); one sent
         * but not answered within this answers 504 {@code publish-outcome-unknown} (retry with the same
         * Idempotency-Key). Default 2s.
         */
        @WithDefault("2s")
        Duration publishTimeout();

        /**
         * How often the pub/sub connection is probed; a half-open connection (a partition without FIN or
         * RST) is otherwise noticed only by TCP keep-alive, minutes later. Default 5s.
         */
        @WithDefault("5s")
        Duration pingInterval();

        /** A probe of the pub/sub connection not answered within this: reconnect and fill the gap. Default 5s. */
        @WithDefault("5s")
        Duration pingTimeout();

        /**
         * Live events held, across all topics, while their gaps are filled after a pub/sub reconnect
         * (approximate bytes of type and data); the topic whose event goes past it stops waiting for
         * its gap and its subscribers resynchronize (history lost). Default 33554432 (32 MiB).
         */
        @WithDefault("33554432")
        long maxHeldBytes();

        /** A topic's Redis keys expire after this long without a publish. Default 24h. */
        @WithDefault("24h")
        Duration idleTopicTtl();

        /** Use sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7 Cluster). Default false. */
        @WithDefault("false")
        boolean shardedPubsub();
    }

    /** NATS JetStream ({@code herald.broker=nats}); see the operations guide for sizing. */
    interface Nats {
        /** NATS server URLs, comma-separated; the client learns the rest of a cluster. Default {@code nats://localhost:4222}. */
        @WithDefault("nats://localhost:4222")
        List<String> servers();

        /** First token of every subject Herald uses. Default {@code herald}. */
        @WithDefault("herald")
        String subjectPrefix();

        /** The history's JetStream stream (created or updated at startup); also prefixes the jobs' stream and buckets. Default {@code HERALD}. */
        @WithDefault("HERALD")
        String stream();

        /** The key-value bucket holding presence. Default {@code HERALD_presence}. */
        @WithDefault("HERALD_presence")
        String bucket();

        /** Replicas of the stream and bucket: 1, or 3 on a JetStream cluster. Default 1. */
        @WithDefault("1")
        int replicas();

        /** Bound of the whole stream (oldest events go first); unset: none. Default: unset. */
        Optional<MemorySize> maxStreamBytes();

        /** A read or management request not answered within this fails (503). Default 2s. */
        @WithDefault("2s")
        Duration requestTimeout();

        /** A publish not acknowledged within this answers 504 {@code publish-outcome-unknown}. Default 2s. */
        @WithDefault("2s")
        Duration publishTimeout();

        /** Live events held across topics while gaps are filled. Default 33554432 (32 MiB). */
        @WithDefault("33554432")
        long maxHeldBytes();
    }

    interface Subscriber {
        /** Outbound events queued per connection before it is dropped as a slow consumer. Default 1000. */
        @WithDefault("1000")
        int queueSize();

        /**
         * Open SSE streams and WebSocket connections with a token on one node, together; beyond it SSE
         * streams are told to retry later and WebSockets are closed with 4029. Default 50000.
         */
        @WithDefault("50000")
        int maxConnections();

        /**
         * Connections without a token on one node: anonymous SSE streams, held anonymous polls and
         * WebSockets not (yet) authenticated, together. Counted apart from {@code max-connections}, which
         * they can therefore never fill; beyond it they get the same answer as a full node. Default 5000.
         */
        @WithDefault("5000")
        int maxAnonymousConnections();
    }

    interface Subscription {
        /** Topics one subscription may name. Default 64. */
        @WithDefault("64")
        int maxTopics();

        /** Events replayed to one resuming subscription at most; topics beyond it get a herald.reset. Default 10000. */
        @WithDefault("10000")
        int maxReplay();

        /**
         * How long the node stays subscribed at the broker to a topic after its last local subscriber
         * left, so that reconnects and the next long poll cost no broker round trips. Default 5s.
         */
        @WithDefault("5s")
        Duration linger();
    }

    interface Publish {
        /** Largest {@code data} of one event, in bytes of compact JSON. Default 65536. */
        @WithDefault("65536")
        int maxDataBytes();

        /** Events in one batch publish. Default 1000. */
        @WithDefault("1000")
        int maxBatchSize();

        /** Largest request body of a publish, in bytes. Default 1048576 (1 MiB). */
        @WithDefault("1048576")
        long maxBodyBytes();

        /** How long an {@code Idempotency-Key} is remembered per topic. Default 10m. */
        @WithDefault("10m")
        Duration idempotencyWindow();

        /**
         * A publish body must arrive whole within this, counted from when the request is authorized;
         * later, the request is answered 408 and its connection closed (slow-body attacks). Default 10s.
         */
        @WithDefault("10s")
        Duration bodyTimeout();

        /**
         * Bytes of publish bodies the node holds while they arrive, over all connections; a body that would
         * take more is answered 503 with {@code Retry-After} and its connection closed. Default 67108864 (64 MiB).
         */
        @WithDefault("67108864")
        long maxPendingBodyBytes();

        /**
         * Memory broker: bytes of idempotency keys remembered on this node, all topics together (e.g.
         * {@code 8M}); beyond, the oldest keys are forgotten before their window ends. Default: 1/32 of
         * the node's maximum heap.
         */
        Optional<MemorySize> idempotencyMaxBytes();
    }

    interface Sse {
        /** Reconnect delay sent as {@code retry:} at the start of each stream. Default 2s. */
        @WithDefault("2s")
        Duration retry();

        /** Interval of {@code : hb} comments that keep idle streams open through proxies. Default 15s. */
        @WithDefault("15s")
        Duration heartbeat();
    }

    interface Ws {
        /**
         * A connection without a token at the upgrade must send {@code auth} with a valid token, or
         * subscribe to a topic open to anonymous clients, within this; pings and other ops do not count.
         * Default 5s.
         */
        @WithDefault("5s")
        Duration authTimeout();

        /** Largest client message, in bytes; larger ones close the connection with 1009. Default 65536. */
        @WithDefault("65536")
        int maxMessageBytes();

        /** WebSocket connections one user (token subject) may hold on one node; beyond, close 4029. Default 5. */
        @WithDefault("5")
        int maxConnectionsPerUser();

        /** Publishes per second per connection (token bucket refill); beyond, error {@code rate-limited}. Default 20. */
        @WithDefault("20")
        double publishRate();

        /** Publishes a connection may burst above the rate (token bucket size). Default 40. */
        @WithDefault("40")
        int publishBurst();

        /**
         * Rate-limited publishes tolerated (refilled one per second) before the connection is closed
         * with 4029. Default 20.
         */
        @WithDefault("20")
        int maxRateViolations();

        /** Malformed messages, unknown ops and invalid requests tolerated before close 4400. Default 10. */
        @WithDefault("10")
        int maxProtocolErrors();

        /** Interval of server pings. Default 30s. */
        @WithDefault("30s")
        Duration pingInterval();

        /** A connection from which nothing (message or pong) arrives for this long is closed with 4408. Default 75s. */
        @WithDefault("75s")
        Duration idleTimeout();
    }

    interface Presence {
        /**
         * Redis mode: a node refreshes its presence members every third of this; members of a node that
         * stopped refreshing (it died) are removed, and their users announced as leaving, within this plus
         * a third. Default 30s.
         */
        @WithDefault("30s")
        Duration ttl();

        /**
         * Topic patterns whose presence is tracked: WebSocket subscriptions of these topics make their
         * user a member, and only these answer presence requests. Each tracked topic with members costs
         * one Redis call per node every third of the TTL; narrow it (e.g. {@code room:*}) on large
         * deployments. Default {@code *}.
         */
        @WithDefault("*")
        List<String> topics();
    }

    interface Auth {
        /** Verify tokens and topic rights. Turn off only for local experiments. Default true. */
        @WithDefault("true")
        boolean enabled();

        /** Topic patterns that clients without a token may subscribe to. Default none. */
        Optional<List<String>> anonymousSubscribe();

        /**
         * Verified tokens remembered (until they expire, or the verification keys change), so that a
         * publisher sending one token with every request pays for the signature check once. 0 turns the
         * cache off. Default 10000.
         */
        @WithDefault("10000")
        int tokenCacheSize();

        /**
         * How often the verification key location (file or JWKS URL) is re-read; when it changed, tokens
         * are verified with the new keys from then on and cached verifications are dropped. Default 30s.
         */
        @WithDefault("30s")
        Duration keyCheckInterval();
    }

    interface Cors {
        /**
         * Origins (e.g. {@code https://app.example.com}, or {@code *}) allowed to open WebSockets besides
         * the server's own origin; requests without an {@code Origin} (non-browser clients) are allowed.
         * Default none (same origin only).
         */
        Optional<List<String>> origins();
    }

    interface Shutdown {
        /** After SIGTERM, how long readiness is DOWN before connections are told to go. Default 5s. */
        @WithDefault("5s")
        Duration drainDelay();

        /** Connections are told to go spread evenly over this interval. Default 5s. */
        @WithDefault("5s")
        Duration spread();
    }

    interface Dev {
        /** Dev profile only: the PKCS#8 PEM key that {@code /dev/token} signs with. Default {@code config/dev/jwt-private.pem}. */
        @WithDefault("config/dev/jwt-private.pem")
        String privateKey();

        /**
         * Dev profile only: publish one small {@code tick} event per second to {@code public:demo}, so the
         * demo page at {@code /} shows live events right after {@code ./herald dev}. Default true.
         */
        @WithDefault("true")
        boolean demoTicker();

        /**
         * Dev profile only: a sample worker that takes the jobs of {@code demo:jobs} (the demo page's jobs
         * panel) and reports progress to 100%. Default true.
         */
        @WithDefault("true")
        boolean demoWorker();
    }

    interface Poll {
        /** How long {@code GET /v1/poll} holds a request that names no {@code timeout} (at most 60s). Default 25s. */
        @WithDefault("25s")
        Duration defaultTimeout();

        /** Events (and resets) in one poll answer at most; the rest come with the next poll. Default 100. */
        @WithDefault("100")
        int maxEvents();

        /**
         * Polls with a token in progress at once on this node (those without one count under
         * {@code herald.subscriber.max-anonymous-connections}); beyond it a poll gets 503 with Retry-After.
         * Default 10000.
         */
        @WithDefault("10000")
        int maxHeld();
    }
}
