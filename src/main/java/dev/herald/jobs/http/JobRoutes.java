package dev.herald.jobs.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ConflictException;
import dev.herald.api.ProblemMapping;
import dev.herald.api.RouteProblems;
import dev.herald.auth.Principal;
import dev.herald.auth.TopicAuthorizer;
import dev.herald.config.HeraldConfig;
import dev.herald.event.InvalidInputException;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobLifecycle;
import dev.herald.jobs.JobMetrics;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.Settlement;
import dev.herald.publish.BodyReader;
import dev.herald.publish.PublishParser;
import dev.herald.web.JsonRoutes;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.NotFoundException;
import dev.herald.tracing.Tracing;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

/**
 * The jobs API (README, "Jobs"): enqueue, status, worker reports (progress, ack, nack), retry, dead list
 * and queue counts, on the event loop like publish ({@link JsonRoutes}, {@link BodyReader}). Leases are
 * {@link LeaseRoutes}.
 *
 * <p>Rights: {@code enqueue} on the queue to enqueue; {@code work} on the job's queue to report on a job
 * (and the job's current lease, which only the worker that leased it holds); {@code admin} on the queue for
 * counts, the dead list and retries. A job's status may be read by the subject that enqueued it, by anyone
 * who may subscribe to its topic {@code job:<id>}, and by the queue's admins.
 */
@ApplicationScoped
public class JobRoutes {

    /** Before Quarkus's HTTP security handlers, like publish (see PublishRoutes). */
    static final int ORDER = -300;

    private enum Report { PROGRESS, ACK, NACK }

    private final JobStore store;
    private final JobLifecycle lifecycle;
    private final JobMetrics metrics;
    private final TopicAuthorizer authorizer;
    private final JsonRoutes routes;
    private final BodyReader bodies;
    private final JobParser parser;
    private final LeaseWaiters waiters;
    private final JobReports reports;
    private final ObjectMapper mapper;
    private final JobQueues jobQueues;

    private final Tracing tracing;

    public JobRoutes(JobStore store, JobLifecycle lifecycle, JobMetrics metrics, TopicAuthorizer authorizer,
                     JsonRoutes routes, BodyReader bodies, ObjectMapper mapper, HeraldConfig config,
                     LeaseWaiters waiters, JobReports reports, JobQueues jobQueues, Tracing tracing) {
        this.reports = reports;
        this.jobQueues = jobQueues;
        this.mapper = mapper;
        this.tracing = tracing;
        this.store = store;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.authorizer = authorizer;
        this.routes = routes;
        this.bodies = bodies;
        this.waiters = waiters;
        this.parser = new JobParser(new PublishParser(mapper, config.publish()), config.jobs().maxAttempts(),
                config.publish().maxBatchSize());
    }

    void install(@Observes Router router) {
        router.post("/v1/queues/:queue/jobs").order(ORDER).handler(this::enqueue);
        router.post("/v1/jobs").order(ORDER).handler(this::enqueueBatch);
        router.get("/v1/jobs/:id").order(ORDER).handler(this::status);
        router.post("/v1/jobs/:id/progress").order(ORDER).handler(ctx -> report(ctx, Report.PROGRESS));
        router.post("/v1/jobs/:id/ack").order(ORDER).handler(ctx -> report(ctx, Report.ACK));
        router.post("/v1/jobs/acks").order(ORDER).handler(this::ackBatch);
        router.post("/v1/jobs/:id/nack").order(ORDER).handler(ctx -> report(ctx, Report.NACK));
        router.post("/v1/jobs/:id/retry").order(ORDER).handler(this::retry);
        router.get("/v1/queues/:queue").order(ORDER).handler(this::counts);
        router.get("/v1/queues/:queue/dead").order(ORDER).handler(this::dead);
    }

    /** Checks headers, then the token, then reads the body: the order that costs an attacker most. */
    private void withBody(RoutingContext ctx, Handler<Principal> authorize, BodyHandler next) {
        HttpServerRequest request = ctx.request();
        request.pause();
        try {
            JsonRoutes.requireJson(request);
            JsonRoutes.requireDeclaredLength(request, bodies.maxBodyBytes());
        } catch (RuntimeException e) {
            routes.refuse(ctx, e);
            return;
        }
        routes.authorize(ctx, principal -> {
            authorize.handle(principal);
            bodies.read(ctx.vertx(), request, routes.guarded(ctx, body -> next.handle(principal, body)),
                    failure -> routes.refuseWhileReading(ctx, failure));
        });
    }

    private interface BodyHandler {
        void handle(Principal principal, Buffer body);
    }

    private void enqueue(RoutingContext ctx) {
        QueueName queue;
        String key;
        try {
            queue = QueueName.of(ctx.pathParam("queue"));
            key = PublishParser.checkKey(ctx.request().getHeader("Idempotency-Key"));
        } catch (RuntimeException e) {
            routes.refuse(ctx, e);
            return;
        }
        withBody(ctx, principal -> requireEnqueue(principal, queue), (principal, body) -> {
            EnqueueRequest parsed = parser.enqueue(body, queue, key, principal.subject());
            Tracing.Span span = enqueueSpan(parsed, ctx);
            EnqueueRequest request = span == null ? parsed : parsed.withTrace(span.traceparent());
            announceQueued(request).chain(() -> store.enqueue(request)).invoke(this::count)
                    .invoke(e -> Tracing.Span.end(span, null)).onFailure().invoke(f -> Tracing.Span.end(span, f))
                    .subscribe().with(e -> routes.json(ctx, 202, JobJson.enqueued(e, lifecycle::announces)),
                            f -> routes.refuse(ctx, f));
        });
    }

    private void enqueueBatch(RoutingContext ctx) {
        withBody(ctx, principal -> {
        }, (principal, body) -> {
            List<EnqueueRequest> requests = parser.batch(body, principal.subject());
            // All are validated and authorized before any is stored.
            requests.forEach(r -> requireEnqueue(principal, r.queue()));
            List<Tracing.Span> spans = requests.stream().map(r -> enqueueSpan(r, ctx)).toList();
            List<EnqueueRequest> traced = new ArrayList<>(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                traced.add(spans.get(i) == null ? requests.get(i) : requests.get(i).withTrace(spans.get(i).traceparent()));
            }
            Multi.createFrom().iterable(traced).onItem().transformToUniAndConcatenate(this::announceQueued)
                    .collect().last().chain(() -> store.enqueueAll(traced)).invoke(results -> results.forEach(this::count))
                    .invoke(results -> spans.forEach(span -> Tracing.Span.end(span, null)))
                    .onFailure().invoke(f -> spans.forEach(span -> Tracing.Span.end(span, f)))
                    .subscribe().with(results -> routes.json(ctx, 202, JobJson.batch(results, lifecycle::announces)),
                            f -> routes.refuse(ctx, f));
        });
    }

    /**
     * A job's {@code job.queued} is published before the job is stored: once stored, a waiting worker may
     * lease it and announce {@code job.active} at once, which must come second. If the store then fails, or
     * finds the key a duplicate, the event stays on the topic of an id no client was ever given. A store that
     * {@linkplain JobStore#announcesLifecycle announces} appends it in the enqueue's own script call instead
     * (after storing, before any lease can see the job), and a duplicate then announces nothing.
     */
    private Uni<Void> announceQueued(EnqueueRequest request) {
        return lifecycle.announce(request.expectedStatus(System.currentTimeMillis()));
    }

    /** The enqueue's span, continuing the request's trace; the job is stored with it. Null when tracing is off. */
    private Tracing.Span enqueueSpan(EnqueueRequest request, RoutingContext ctx) {
        if (!tracing.enabled()) {
            return null;
        }
        return tracing.job("enqueue", request.queue().name(), request.id(), null,
                ctx.request().getHeader("traceparent"), null);
    }

    private void count(Enqueued enqueued) {
        jobQueues.remember(enqueued.status().id(), enqueued.status().queue());
        if (!enqueued.duplicate()) {
            metrics.enqueued();
        }
    }

    private void requireEnqueue(Principal principal, QueueName queue) {
        authorizer.requireQueue(principal, principal.queues().mayEnqueue(queue.name()),
                "not allowed to enqueue to queue '" + queue + "'");
    }

    private void status(RoutingContext ctx) {
        withJob(ctx, (principal, status) -> {
            boolean mayRead = principal.owns(status.id()) || principal.maySubscribe(JobIds.topic(status.id()))
                    || principal.queues().mayAdminister(status.queue().name());
            authorizer.requireQueue(principal, mayRead, "not allowed to read job '" + status.id() + "'");
            ctx.response().putHeader("Cache-Control", "no-store");
            routes.json(ctx, 200, status.toJson());
        });
    }

    /** Runs {@code next} with the principal and the job named in the path; 400 for a malformed id, 404 for none. */
    private void withJob(RoutingContext ctx, JobHandler next) {
        String id;
        try {
            id = JobIds.require(ctx.pathParam("id"));
        } catch (InvalidInputException e) {
            routes.refuse(ctx, e);
            return;
        }
        routes.authorize(ctx, principal -> store.status(id).subscribe().with(
                routes.<JobStatus>guarded(ctx, status -> {
                    if (status == null) {
                        throw new NotFoundException();
                    }
                    next.handle(principal, status);
                })::handle, f -> routes.refuse(ctx, f)));
    }

    private interface JobHandler {
        void handle(Principal principal, JobStatus status);
    }

    /** A worker's report on the job in the path: {@code work} on its queue, checked before the body is read. */
    private void report(RoutingContext ctx, Report kind) {
        ctx.request().pause();
        String id;
        try {
            id = JobIds.require(ctx.pathParam("id"));
        } catch (InvalidInputException e) {
            routes.refuse(ctx, e);
            return;
        }
        routes.authorize(ctx, principal -> jobQueues.of(id).subscribe().with(
                routes.<QueueName>guarded(ctx, queue -> {
                    requireWork(principal, queue);
                    withBody(ctx, p -> {
                    }, (p, body) -> settle(ctx, kind, id, body));
                })::handle, f -> routes.refuse(ctx, f)));
    }

    /** 404 for no such job, 403 without {@code work} on its queue. */
    private void requireWork(Principal principal, QueueName queue) {
        if (queue == null) {
            throw new NotFoundException();
        }
        authorizer.requireQueue(principal, principal.queues().mayWork(queue.name()),
                "not allowed to work on queue '" + queue + "'");
    }

    private void settle(RoutingContext ctx, Report kind, String id, Buffer body) {
        answer(ctx, switch (kind) {
            case PROGRESS -> {
                JobParser.Report r = parser.progress(body);
                yield reports.progress(id, r.lease(), r.progress(), r.message(), r.data());
            }
            case ACK -> {
                JobParser.Report r = parser.ack(body);
                yield reports.ack(id, r.lease(), r.result());
            }
            case NACK -> {
                JobParser.Report r = parser.nack(body);
                yield reports.nack(id, r.lease(), r.nack());
            }
        });
    }

    /**
     * Several jobs' acks in one request, each settled as its own {@code POST /v1/jobs/{id}/ack} would be
     * (the job looked up, {@code work} on its queue, its current lease). The acks allowed are settled
     * together ({@link JobReports#ackAll}: one store call per queue where the store can). 200 with one
     * result per ack, in order: its status code and the status document, or the problem that ack met.
     */
    private void ackBatch(RoutingContext ctx) {
        withBody(ctx, principal -> {
        }, (principal, body) -> {
            List<JobParser.Ack> acks = parser.acks(body);
            Uni.join().all(acks.stream().map(ack -> refusal(principal, ack.id())).toList()).andFailFast()
                    .chain(refusals -> settleAllowed(acks, refusals))
                    .subscribe().with(r -> routes.json(ctx, 200, "{\"results\":[" + String.join(",", r) + "]}"),
                            f -> routes.refuse(ctx, f));
        });
    }

    /** Empty when the principal may ack job {@code id}, else that ack's result: 404 or 403. */
    private Uni<String> refusal(Principal principal, String id) {
        return jobQueues.of(id).map(queue -> {
            requireWork(principal, queue);
            return "";
        }).onFailure().recoverWithItem(f -> ackProblem(id, f));
    }

    /** Settles the acks without a refusal in one batch; every ack's result, in order. */
    private Uni<List<String>> settleAllowed(List<JobParser.Ack> acks, List<String> refusals) {
        List<JobStore.Ack> allowed = new ArrayList<>();
        for (int i = 0; i < acks.size(); i++) {
            if (refusals.get(i).isEmpty()) {
                JobParser.Ack ack = acks.get(i);
                allowed.add(new JobStore.Ack(ack.id(), ack.report().lease(), ack.report().result()));
            }
        }
        return reports.ackAll(allowed).map(done -> {
            Iterator<Settlement> next = done.iterator();
            return results(acks, refusals, id -> ackResult(id, next.next()));
        }).onFailure().recoverWithItem(f -> results(acks, refusals, id -> ackProblem(id, f)));
    }

    /** Each ack's result in order: its refusal, or what {@code allowed} makes of it (called in order). */
    private static List<String> results(List<JobParser.Ack> acks, List<String> refusals,
                                        Function<String, String> allowed) {
        List<String> out = new ArrayList<>(acks.size());
        for (int i = 0; i < acks.size(); i++) {
            out.add(refusals.get(i).isEmpty() ? allowed.apply(acks.get(i).id()) : refusals.get(i));
        }
        return out;
    }

    private String ackResult(String id, Settlement s) {
        return switch (s.outcome()) {
            case NOT_FOUND -> ackProblem(id, new NotFoundException());
            case CONFLICT -> ackProblem(id, conflict(s));
            default -> "{\"id\":\"" + id + "\",\"status\":200,\"job\":" + s.status().toJson() + "}";
        };
    }

    private String ackProblem(String id, Throwable failure) {
        ProblemMapping.Mapped mapped = ProblemMapping.map(ProblemMapping.unwrap(failure));
        return "{\"id\":\"" + id + "\",\"status\":" + mapped.problem().status() + ",\"problem\":"
                + RouteProblems.body(mapper, mapped.problem()) + "}";
    }

    private static ConflictException conflict(Settlement s) {
        return new ConflictException("the lease is not the job's current lease (it expired and the job was leased "
                + "again, or the job was settled) or the job is not in a state this applies to; the job is "
                + s.status().state().wire());
    }

    private void retry(RoutingContext ctx) {
        withJob(ctx, (principal, job) -> {
            requireAdmin(principal, job.queue());
            answer(ctx, reports.retry(job));
        });
    }

    /** Answers a settlement: 200 and the status, 409 for a stale lease (or a retry of a job not dead), 404. */
    private void answer(RoutingContext ctx, Uni<Settlement> settled) {
        settled.subscribe().with(routes.<Settlement>guarded(ctx, s -> {
            switch (s.outcome()) {
                case NOT_FOUND -> throw new NotFoundException();
                case CONFLICT -> throw conflict(s);
                default -> routes.json(ctx, 200, s.status().toJson());
            }
        })::handle, f -> routes.refuse(ctx, f));
    }

    private void requireAdmin(Principal principal, QueueName queue) {
        authorizer.requireQueue(principal, principal.queues().mayAdminister(queue.name()),
                "not allowed to administer queue '" + queue + "'");
    }

    private void counts(RoutingContext ctx) {
        withQueue(ctx, queue -> store.counts(queue).subscribe().with(
                c -> routes.json(ctx, 200, JobJson.counts(c, waiters.waiting(queue))), f -> routes.refuse(ctx, f)));
    }

    private void dead(RoutingContext ctx) {
        withQueue(ctx, queue -> {
            int limit = LeaseRoutes.intParam(ctx, "limit", 100, 1, 1000);
            store.dead(queue, limit).subscribe().with(
                    jobs -> routes.json(ctx, 200, JobJson.statuses(jobs)), f -> routes.refuse(ctx, f));
        });
    }

    /** Runs {@code next} with the path's queue, for its admins only. */
    private void withQueue(RoutingContext ctx, Handler<QueueName> next) {
        QueueName queue;
        try {
            queue = QueueName.of(ctx.pathParam("queue"));
        } catch (InvalidInputException e) {
            routes.refuse(ctx, e);
            return;
        }
        ctx.response().putHeader("Cache-Control", "no-store");
        routes.authorize(ctx, principal -> {
            requireAdmin(principal, queue);
            next.handle(queue);
        });
    }
}
