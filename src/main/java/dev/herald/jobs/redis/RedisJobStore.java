package dev.herald.jobs.redis;

import dev.herald.broker.redis.RedisBroker;
import dev.herald.broker.redis.RedisScript;
import dev.herald.event.TraceParent;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.LeaseBatch;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.Nack;
import dev.herald.jobs.QueueCounts;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.QuietQueues;
import dev.herald.jobs.Settlement;
import dev.herald.jobs.Settlement.Outcome;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Jobs in Redis (or a Redis Cluster), shared by every node on it and durable as far as Redis is (an
 * append-only file with {@code appendfsync always} loses nothing acknowledged). Per queue: a stream with a
 * consumer group (queued jobs; its pending entries are the active ones, and XAUTOCLAIM finds those whose
 * lease expired), a sorted set of delayed and failed jobs, sorted sets of finished jobs, and a hash per job.
 * Every transition is one call of {@code jobs.lua}, so each is atomic; the layout is described there.
 *
 * <p>All keys of a queue and its jobs carry the hash tag {@code {jobs.<tag>}}, where the tag is the one
 * every job id of the queue starts with ({@link JobIds}): a job's keys are found from its id alone, and
 * each script call runs on one cluster shard. Commands go through the broker's connections and deadlines.
 *
 * <p>On a single Redis every transition also appends its lifecycle event to the job's topic in the same
 * script call ({@code lifecycle.lua}, sharing the broker's {@code append.lua}), so the store
 * {@linkplain #announcesLifecycle announces} and a transition costs one round trip, not two. On a Redis
 * Cluster the topic's keys are on another slot than the job's: the node publishes the events itself. A job of
 * a {@linkplain QuietQueues quiet queue} is marked so in its hash at enqueue, and its transitions append
 * nothing.
 */
public final class RedisJobStore implements JobStore {

    private static final RedisScript JOBS = RedisScript.load(RedisJobStore.class, "jobs.lua")
            .afterAppend(RedisScript.load(RedisJobStore.class, "lifecycle.lua"));
    private static final Logger LOG = Logger.getLogger(RedisJobStore.class);

    private final RedisBroker broker;
    private final JobPolicy policy;
    private final String retentionMillis;
    private final QueueNotices notices;
    /** The last argument of every transition: the broker's append options, or "0" (not folded). */
    private final String lifecycle;
    private final QuietQueues quiet;
    private final EnqueueBatches batches;

    /**
     * @param singleRedis true when {@code redis} reaches one Redis (standalone, sentinel or replication), not
     *                    a cluster: only then may a transition's script touch the job topic's keys. The caller
     *                    knows (the node from {@code quarkus.redis.client-type}); the client object does not
     *                    say so reliably (Quarkus hands out a wrapper whatever the client type)
     * @param quiet       the queues whose jobs announce nothing
     */
    public RedisJobStore(RedisBroker broker, Vertx vertx, Redis redis, JobPolicy policy, boolean singleRedis,
            QuietQueues quiet) {
        this.broker = broker;
        this.quiet = quiet;
        this.lifecycle = singleRedis ? broker.appendOptions() : "0";
        this.policy = policy;
        this.retentionMillis = String.valueOf(policy.retention().toMillis());
        this.notices = new QueueNotices(vertx, redis, this::channel);
        this.batches = new EnqueueBatches(this::enqueueTogether);
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public boolean announcesLifecycle() {
        return !lifecycle.equals("0");
    }

    private String base(String tag) {
        return broker.keyPrefix() + "{jobs." + tag + "}:";
    }

    private String base(QueueName queue) {
        return base(JobIds.tag(queue));
    }

    private String channel(QueueName queue) {
        return base(queue) + "qn:" + queue.name();
    }

    private List<String> args(String base, String op) {
        List<String> args = new ArrayList<>();
        args.add(base);
        args.add(op);
        args.add(retentionMillis);
        return args;
    }

    /** Together with the enqueues that reach this event loop in the same turn ({@link EnqueueBatches}). */
    @Override
    public Uni<Enqueued> enqueue(EnqueueRequest request) {
        return batches.add(request);
    }

    /**
     * One script call per run of consecutive jobs with the same hash tag (a queue's jobs share one), at most
     * {@link EnqueueBatches#MAX_PER_CALL} jobs each; the calls one after the other, so that the jobs are
     * stored in order and a failure leaves the jobs before it stored.
     */
    @Override
    public Uni<List<Enqueued>> enqueueAll(List<EnqueueRequest> requests) {
        List<List<EnqueueRequest>> calls = new ArrayList<>();
        List<EnqueueRequest> run = null;
        for (EnqueueRequest request : requests) {
            if (run == null || run.size() == EnqueueBatches.MAX_PER_CALL
                    || !JobIds.tagOf(run.get(0).id()).equals(JobIds.tagOf(request.id()))) {
                run = new ArrayList<>();
                calls.add(run);
            }
            run.add(request);
        }
        return Multi.createFrom().iterable(calls).onItem().transformToUniAndConcatenate(this::enqueueTogether)
                .collect().in(ArrayList<Enqueued>::new, List::addAll).map(List::copyOf);
    }

    /** Jobs of one hash tag in one script call, in order: what the script answers, per job. */
    private Uni<List<Enqueued>> enqueueTogether(List<EnqueueRequest> requests) {
        String base = base(JobIds.tagOf(requests.get(0).id())); // the id carries the tag: no hash to compute
        List<String> args = args(base, "enqueue");
        for (EnqueueRequest request : requests) {
            QueueName queue = request.queue();
            String key = request.idempotencyKey();
            // Queue names cannot contain '#': the key cannot be read as another queue's.
            args.addAll(List.of(queue.name(), request.type(), request.data(),
                    key == null ? "" : base + "qi:" + queue.name() + "#" + key,
                    String.valueOf(request.delay().toMillis()), String.valueOf(request.maxAttempts()),
                    String.valueOf(request.timeout() == null ? 0 : request.timeout().toMillis()),
                    request.owner() == null ? "" : request.owner(), request.id(),
                    Objects.requireNonNullElse(TraceParent.orNull(request.trace()), ""),
                    quiet.contains(queue) ? "1" : "0"));
        }
        return transition(List.of(base + "j:" + requests.get(0).id()), args, true).map(r -> {
            // A stored job's hash is what its request says, at the script's time: only duplicates carry one.
            long now = r.get(0).toLong();
            Response answers = r.get(1);
            List<Enqueued> out = new ArrayList<>(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                Response answer = answers.get(i);
                out.add(answer.get(0).toInteger() == 1
                        ? new Enqueued(JobHashes.status(answer.get(1).toString(), answer.get(2)), true)
                        : new Enqueued(requests.get(i).expectedStatus(now), false));
            }
            return out;
        });
    }

    @Override
    public Uni<LeaseBatch> lease(LeaseRequest request) {
        QueueName queue = request.queue();
        String base = base(queue);
        List<String> args = args(base, "lease");
        args.addAll(List.of(queue.name(), String.valueOf(request.max()),
                String.valueOf(Math.min(request.visibility().toMillis(), JobPolicy.MAX_VISIBILITY.toMillis()))));
        for (int i = 0; i < request.max(); i++) {
            args.add(JobIds.newLease());
        }
        return transition(List.of(base + "qs:" + queue.name()), args, false).map(r -> {
            List<LeasedJob> jobs = new ArrayList<>();
            for (Response job : r.get(0)) {
                JobStatus status = JobHashes.status(job.get(0).toString(), job.get(3));
                jobs.add(new LeasedJob(status, JobHashes.field(job.get(3), "d"), job.get(1).toString(), job.get(2).toLong()));
            }
            List<JobStatus> expired = new ArrayList<>();
            for (Response job : r.get(1)) {
                expired.add(JobHashes.status(job.get(0).toString(), job.get(1)));
            }
            return new LeaseBatch(jobs, expired, r.get(2).toInteger(), r.get(3).toLong());
        });
    }

    @Override
    public Uni<Settlement> progress(String id, String lease, int progress, String message, String data) {
        return onJob(id, "progress", lease, String.valueOf(progress), message == null ? "" : message,
                data == null ? "" : data);
    }

    @Override
    public Uni<Settlement> ack(String id, String lease, String result) {
        return onJob(id, "ack", lease, result == null ? "" : result);
    }

    @Override
    public Uni<Settlement> nack(String id, String lease, Nack nack) {
        return onJob(id, "nack", lease, nack.error(), nack.retry() ? "1" : "0",
                String.valueOf(nack.delay() == null ? -1 : nack.delay().toMillis()),
                String.valueOf(ThreadLocalRandom.current().nextDouble()),
                String.valueOf(Math.max(1, policy.backoffBase().toMillis())),
                String.valueOf(Math.max(1, policy.backoffMax().toMillis())));
    }

    @Override
    public Uni<Settlement> release(String id, String lease) {
        return onJob(id, "release", lease);
    }

    @Override
    public Uni<Settlement> retry(String id) {
        return onJob(id, "retry");
    }

    private Uni<Settlement> onJob(String id, String op, String... more) {
        String base = base(JobIds.tagOf(id));
        List<String> args = args(base, op);
        args.add(id);
        args.addAll(List.of(more));
        return transition(List.of(base + "j:" + id), args, false).map(r -> settlement(id, r));
    }

    /** One job op's answer: {@code missing}, or the outcome and the job's hash after it. */
    private static Settlement settlement(String id, Response r) {
        String outcome = r.get(0).toString();
        return switch (outcome) {
            case "missing" -> Settlement.notFound();
            case "ok" -> new Settlement(Outcome.APPLIED, JobHashes.status(id, r.get(1)));
            case "repeat" -> new Settlement(Outcome.REPEATED, JobHashes.status(id, r.get(1)));
            default -> new Settlement(Outcome.CONFLICT, JobHashes.status(id, r.get(1)));
        };
    }

    /**
     * One script call per queue's hash tag (a queue's jobs share one, so one call per queue on a cluster too),
     * settling its acks in order; the calls for several tags run side by side.
     */
    @Override
    public Uni<List<Settlement>> ackAll(List<Ack> acks) {
        if (acks.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        Map<String, List<Integer>> byTag = new LinkedHashMap<>();
        for (int i = 0; i < acks.size(); i++) {
            byTag.computeIfAbsent(JobIds.tagOf(acks.get(i).id()), t -> new ArrayList<>()).add(i);
        }
        Settlement[] out = new Settlement[acks.size()];
        List<Uni<Void>> calls = new ArrayList<>(byTag.size());
        byTag.forEach((tag, indices) -> {
            String base = base(tag);
            List<String> args = args(base, "acks");
            for (int i : indices) {
                Ack ack = acks.get(i);
                args.addAll(List.of(ack.id(), ack.lease(), ack.result() == null ? "" : ack.result()));
            }
            calls.add(transition(List.of(base + "j:" + acks.get(indices.get(0)).id()), args, false).invoke(r -> {
                for (int k = 0; k < indices.size(); k++) {
                    int i = indices.get(k);
                    out[i] = settlement(acks.get(i).id(), r.get(k));
                }
            }).replaceWithVoid());
        });
        return Uni.join().all(calls).andFailFast().map(done -> List.of(out));
    }

    /**
     * One transition's script call, with the lifecycle options last; counts the events it appended as the
     * broker counts publishes. {@code storing}: an enqueue, whose unanswered call may have stored.
     */
    private Uni<Response> transition(List<String> scriptKeys, List<String> args, boolean storing) {
        args.add(lifecycle);
        if (!announcesLifecycle()) {
            return storing ? broker.evalStoring(JOBS, scriptKeys, args) : broker.eval(JOBS, scriptKeys, args);
        }
        return Uni.createFrom().deferred(() -> {
            long start = System.nanoTime();
            Uni<Response> call = storing ? broker.evalStoring(JOBS, scriptKeys, args) : broker.eval(JOBS, scriptKeys, args);
            return call.invoke(r -> {
                Response appended = r.get(r.size() - 1);
                broker.appended(appended.get(0).toInteger(), appended.get(1).toInteger(), System.nanoTime() - start);
                if (appended.get(2).toInteger() > 0) {
                    LOG.debugf("%d lifecycle events of a %s not appended", appended.get(2).toInteger(), args.get(1));
                }
            });
        });
    }

    @Override
    public Uni<JobStatus> status(String id) {
        String base = base(JobIds.tagOf(id));
        return broker.eval(JOBS, List.of(base + "j:" + id), args(base, "status"))
                .map(r -> r == null || r.size() == 0 ? null : JobHashes.status(id, r));
    }

    @Override
    public Uni<List<JobStatus>> dead(QueueName queue, int limit) {
        String base = base(queue);
        List<String> args = args(base, "dead");
        args.addAll(List.of(queue.name(), String.valueOf(limit)));
        return broker.eval(JOBS, List.of(base + "qd:" + queue.name()), args).map(r -> {
            List<JobStatus> out = new ArrayList<>();
            for (Response job : r) {
                out.add(JobHashes.status(job.get(0).toString(), job.get(1)));
            }
            return out;
        });
    }

    @Override
    public Uni<QueueCounts> counts(QueueName queue) {
        String base = base(queue);
        List<String> args = args(base, "counts");
        args.add(queue.name());
        return broker.eval(JOBS, List.of(base + "qs:" + queue.name()), args).map(r -> new QueueCounts(queue,
                r.get(0).toLong(), r.get(1).toLong(), r.get(2).toLong(), r.get(3).toLong(), r.get(4).toLong(),
                r.get(5).toLong(), Math.max(0, r.get(6).toLong())));
    }

    @Override
    public void setAvailabilityListener(Consumer<QueueName> listener) {
        notices.setListener(listener);
    }

    @Override
    public void watch(QueueName queue) {
        notices.watch(queue);
    }

    @Override
    public void unwatch(QueueName queue) {
        notices.unwatch(queue);
    }

    @Override
    public void close() {
        notices.close();
    }
}
