package dev.herald.transport.ws;

import dev.herald.api.ConflictException;
import dev.herald.api.ErrorCode;
import dev.herald.auth.AuthenticationException;
import dev.herald.auth.AuthorizationException;
import dev.herald.auth.Principal;
import dev.herald.event.InvalidInputException;
import dev.herald.event.Json;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStore;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.Settlement;
import dev.herald.jobs.http.JobJson;
import dev.herald.jobs.http.JobParser;
import dev.herald.jobs.http.JobReports;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The worker side of one WebSocket connection (README, "Jobs"), RabbitMQ style: {@code consume} a queue
 * with a {@code prefetch} and jobs are pushed as {@code job} frames as they arrive, never more than
 * {@code prefetch} unsettled per queue; {@code progress}, {@code ack} and {@code nack} settle them over the
 * same connection; {@code cancel} stops a consume (jobs already pushed stay the worker's). When the
 * connection closes, its unsettled jobs are released to their queue at once, their attempt not counted.
 *
 * <p>A connection settles only jobs it was pushed, with their lease: the {@code work} right was checked
 * at {@code consume}. The acks of one turn of the event loop (a worker that finishes several jobs sends
 * them together) are settled together, one store call per queue where the store can ({@link
 * JobReports#ackAll}), each answered as its own; the room they free is then filled by one lease.
 * Everything runs on the connection's event loop.
 */
final class WsWorker {

    /** How long one waiting lease of a consume is held before it is renewed. */
    private static final Duration WAIT = Duration.ofSeconds(25);
    private static final long RETRY_MILLIS = 1000;

    private record Held(String lease, Consumer consumer) {
    }

    /** An ack received, to be settled with the others of its turn. */
    private record PendingAck(WsRequest.Job op, Held holding, JobStore.Ack ack) {
    }

    private static final class Consumer {
        final QueueName queue;
        int prefetch;
        Duration visibility;
        int held;
        Runnable waiting;
        boolean cancelled;

        Consumer(QueueName queue) {
            this.queue = queue;
        }
    }

    private final WsSession session;
    private final WsJobs jobs;
    private final Context context;
    private final Map<QueueName, Consumer> consumers = new HashMap<>();
    private final Map<String, Held> held = new HashMap<>();
    private final List<PendingAck> acks = new ArrayList<>();
    /** Jobs whose acks are in flight: a close does not release them under their acks. */
    private final Set<String> acking = new HashSet<>();
    private boolean closed;

    WsWorker(WsSession session, WsJobs jobs, Context context) {
        this.session = session;
        this.jobs = jobs;
        this.context = context;
    }

    void handle(WsRequest.Job op, Principal principal) {
        try {
            switch (op.op()) {
                case "consume" -> consume(op, principal);
                case "cancel" -> cancel(op);
                default -> report(op);
            }
        } catch (InvalidInputException e) {
            session.protocolError(e.getMessage(), op.ref());
        } catch (RuntimeException e) {
            session.sendError(e, op.ref()); // unauthorized, forbidden, too-large; anything else is logged
        }
    }

    private void consume(WsRequest.Job op, Principal principal) {
        QueueName queue = QueueName.of(JobParser.text(op.message(), "queue", true));
        int prefetch = op.message().has("prefetch")
                ? JobParser.integer(op.message(), "prefetch", 1, jobs.maxPrefetch) : 1;
        Duration visibility = op.message().has("visibility")
                ? JobParser.seconds(op.message(), "visibility", Duration.ofSeconds(1), JobPolicy.MAX_VISIBILITY)
                : jobs.visibility;
        if (!principal.queues().mayWork(queue.name())) {
            throw principal.isAnonymous()
                    ? new AuthenticationException("missing", "a token is required to work on a queue", null)
                    : new AuthorizationException("not allowed to work on queue '" + queue + "'");
        }
        Consumer consumer = consumers.computeIfAbsent(queue, Consumer::new);
        consumer.prefetch = prefetch;
        consumer.visibility = visibility;
        session.send(frame("{\"type\":\"consuming\",\"queue\":" + Json.quote(queue.name()) + ",\"prefetch\":"
                + prefetch, op.ref()));
        pump(consumer);
    }

    private void cancel(WsRequest.Job op) {
        QueueName queue = QueueName.of(JobParser.text(op.message(), "queue", true));
        Consumer consumer = consumers.remove(queue);
        if (consumer != null) {
            stop(consumer);
        }
        session.send(frame("{\"type\":\"cancelled\",\"queue\":" + Json.quote(queue.name()), op.ref()));
    }

    /** Asks for as many jobs as the consumer has room for, waiting for them, unless a request is out. */
    private void pump(Consumer c) {
        int room = c.prefetch - c.held;
        if (c.cancelled || closed || session.closing() || c.waiting != null || room <= 0) {
            return;
        }
        c.waiting = jobs.waiters.lease(context, new LeaseRequest(c.queue, room, c.visibility), WAIT, leased -> {
            c.waiting = null;
            for (LeasedJob job : leased) {
                if (c.cancelled || closed || session.closing()) {
                    release(job.id(), job.lease());
                    continue;
                }
                held.put(job.id(), new Held(job.lease(), c));
                c.held++;
                session.send("{\"type\":\"job\",\"job\":" + JobJson.leased(job) + "}");
            }
            pump(c);
        }, failure -> {
            c.waiting = null;
            session.sendError(failure, null);
            context.owner().setTimer(RETRY_MILLIS, id -> context.runOnContext(v -> pump(c)));
        });
    }

    private void report(WsRequest.Job op) {
        String id = JobIds.require(JobParser.text(op.message(), "id", true));
        JobParser.Report report = switch (op.op()) {
            case "progress" -> jobs.parser.progress(op.message());
            case "ack" -> jobs.parser.ack(op.message());
            default -> jobs.parser.nack(op.message());
        };
        Held holding = held.get(id);
        if (holding == null || !holding.lease().equals(report.lease())) {
            session.sendError(new ConflictException("this connection holds no such lease of job " + id), op.ref());
            return;
        }
        if (op.op().equals("ack")) {
            if (acks.isEmpty()) {
                context.runOnContext(v -> settleAcks());
            }
            acks.add(new PendingAck(op, holding, new JobStore.Ack(id, report.lease(), report.result())));
            return;
        }
        if (acks.stream().anyMatch(a -> a.ack().id().equals(id))) {
            settleAcks(); // this job's ack, sent first, is not held back behind its later report
        }
        Uni<Settlement> settled = op.op().equals("progress")
                ? jobs.reports.progress(id, report.lease(), report.progress(), report.message(), report.data())
                : jobs.reports.nack(id, report.lease(), report.nack());
        settled.subscribe().with(s -> session.onContext(() -> {
                    Consumer freed = settled(op, id, holding, s);
                    if (freed != null) {
                        pump(freed);
                    }
                }),
                failure -> session.onContext(() -> session.sendError(failure, op.ref())));
    }

    /** Settles the acks of this turn together, answers each, then refills each consumer they freed room in once. */
    private void settleAcks() {
        if (acks.isEmpty()) {
            return;
        }
        List<PendingAck> batch = List.copyOf(acks);
        acks.clear();
        batch.forEach(a -> acking.add(a.ack().id()));
        jobs.reports.ackAll(batch.stream().map(PendingAck::ack).toList()).subscribe().with(
                settlements -> session.onContext(() -> {
                    batch.forEach(a -> acking.remove(a.ack().id()));
                    Set<Consumer> freed = new LinkedHashSet<>();
                    for (int i = 0; i < batch.size(); i++) {
                        PendingAck a = batch.get(i);
                        Consumer c = settled(a.op(), a.ack().id(), a.holding(), settlements.get(i));
                        if (c != null) {
                            freed.add(c);
                        }
                    }
                    freed.forEach(this::pump);
                }),
                failure -> session.onContext(() -> batch.forEach(a -> {
                    acking.remove(a.ack().id());
                    session.sendError(failure, a.op().ref());
                })));
    }

    /** Answers one settled report; returns the consumer it freed room in, or null. */
    private Consumer settled(WsRequest.Job op, String id, Held holding, Settlement s) {
        Consumer freed = null;
        boolean lost = s.outcome() == Settlement.Outcome.CONFLICT || s.outcome() == Settlement.Outcome.NOT_FOUND;
        if ((lost || !op.op().equals("progress")) && held.remove(id, holding)) {
            freed = holding.consumer();
            freed.held--;
        }
        switch (s.outcome()) {
            case NOT_FOUND -> session.send(WsFrames.error(ErrorCode.NOT_FOUND, "no such job: " + id, op.ref()));
            case CONFLICT -> session.sendError(new ConflictException("the lease is no longer the job's current "
                    + "lease; the job is " + s.status().state().wire()), op.ref());
            default -> session.send(frame("{\"type\":\"" + op.op() + "ed\",\"job\":" + s.status().toJson(), op.ref()));
        }
        return freed;
    }

    private void release(String id, String lease) {
        jobs.reports.release(id, lease).subscribe().with(s -> {
        }, failure -> {
            // The lease expires instead; the job comes back then.
        });
    }

    private static void stop(Consumer c) {
        c.cancelled = true;
        if (c.waiting != null) {
            c.waiting.run();
            c.waiting = null;
        }
    }

    /** The connection is gone: stops every consume and gives its unsettled jobs back at once. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        settleAcks(); // what the worker acked is settled as it said: those jobs are not given back
        consumers.values().forEach(WsWorker::stop);
        consumers.clear();
        List<Map.Entry<String, Held>> unsettled = new ArrayList<>(held.entrySet());
        held.clear();
        unsettled.stream().filter(e -> !acking.contains(e.getKey()))
                .forEach(e -> release(e.getKey(), e.getValue().lease()));
    }

    private static String frame(String open, String ref) {
        return open + (ref == null ? "" : ",\"ref\":" + ref) + "}";
    }
}
