package dev.herald.jobs.nats;

import dev.herald.broker.BrokerUnavailableException;
import dev.herald.jobs.JobIds;
import dev.herald.jobs.JobPolicy;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.LeaseBatch;
import dev.herald.jobs.LeaseRequest;
import dev.herald.jobs.LeasedJob;
import dev.herald.jobs.QueueName;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A lease call: fetches the queue's due tickets and decides, for each, from its job's document. The
 * consumer hands out tickets given back earlier (expired leases, due retries) before new ones, oldest
 * first, so expired leases come first and queued jobs in the order they were enqueued.
 *
 * <ul>
 *   <li>queued, or delayed or failed and due: leased (compare-and-set on the document), and the ticket
 *   is given back until the lease ends;</li>
 *   <li>delayed or failed and not yet due, or leased and the lease (maybe extended by progress) still
 *   running: the ticket is given back until then;</li>
 *   <li>leased and the lease over: leased again with the next attempt, or dead when none is left;</li>
 *   <li>finished or unknown: the ticket is acknowledged (it leaves the stream).</li>
 * </ul>
 * The ticket is given back before the document changes: if this node dies in between, the ticket comes
 * back and the document decides again.
 */
final class TicketLeaser {

    /** Fetches per lease call: each returns due tickets, most of them lead to a lease. */
    private static final int MAX_ROUNDS = 20;
    private static final int MAX_CAS = 50;
    /** Tickets fetched per round after the first. */
    private static final int SWEEP = 64;

    private final JobSpace space;
    private final Tickets tickets;
    private final JobDocs docs;

    TicketLeaser(JobSpace space, Tickets tickets, JobDocs docs) {
        this.space = space;
        this.tickets = tickets;
        this.docs = docs;
    }

    LeaseBatch lease(LeaseRequest request) throws IOException, JetStreamApiException {
        List<LeasedJob> leased = new ArrayList<>();
        List<JobStatus> expired = new ArrayList<>();
        int redelivered = 0;
        long visibility = Math.min(request.visibility().toMillis(), JobPolicy.MAX_VISIBILITY.toMillis());
        for (int round = 0; round < MAX_ROUNDS && leased.size() < request.max(); round++) {
            // A round that leased nothing met tickets not yet due (delayed jobs, running leases): fetch more
            // at once to get past them, giving back the due ones beyond the request's max.
            int asked = round == 0 ? request.max() - leased.size() : Math.max(request.max() - leased.size(), SWEEP);
            List<Message> due = tickets.fetch(request.queue(), asked);
            for (Message ticket : due) {
                if (leased.size() >= request.max()) {
                    tickets.move(ticket.getReplyTo(), Tickets.Move.NOW);
                    continue;
                }
                Taken taken = take(ticket, visibility);
                if (taken.leased != null) {
                    leased.add(taken.leased);
                    redelivered += taken.redelivered ? 1 : 0;
                } else if (taken.dead != null) {
                    expired.add(taken.dead);
                }
            }
            if (due.size() < asked) {
                break; // no more due tickets
            }
        }
        return new LeaseBatch(leased, expired, redelivered, nextDue(request.queue()));
    }

    private record Taken(LeasedJob leased, boolean redelivered, JobStatus dead) {
        static final Taken NOTHING = new Taken(null, false, null);
    }

    private Taken take(Message ticket, long visibility) throws IOException, JetStreamApiException {
        String id = new String(ticket.getData(), StandardCharsets.US_ASCII);
        String handle = ticket.getReplyTo();
        for (int attempt = 0; attempt < MAX_CAS; attempt++) {
            long now = System.currentTimeMillis();
            KeyValueEntry entry = JobIds.isValid(id) ? space.jobs().get(JobSpace.jobKey(id)) : null;
            if (entry == null || entry.getValue() == null) {
                tickets.move(handle, Tickets.Move.DONE); // finished and moved, or never stored
                return Taken.NOTHING;
            }
            NatsJob job = NatsJob.parse(entry.getValue());
            boolean redelivered = false;
            switch (job.state()) {
                case SUCCEEDED, DEAD -> {
                    tickets.move(handle, Tickets.Move.DONE);
                    return Taken.NOTHING;
                }
                case DELAYED, FAILED -> {
                    if (job.nextRunAt > now) {
                        tickets.moveIn(handle, job.nextRunAt - now);
                        return Taken.NOTHING;
                    }
                }
                case ACTIVE -> {
                    if (job.leaseUntil > now) {
                        tickets.moveIn(handle, job.leaseUntil - now);
                        return Taken.NOTHING;
                    }
                    job.error = "lease expired";
                    if (job.attempt >= job.maxAttempts) {
                        job.kill(now);
                        long revision = docs.update(job, entry.getRevision());
                        if (revision < 0) {
                            continue;
                        }
                        tickets.move(handle, Tickets.Move.DONE);
                        docs.moveToDone(job, revision);
                        return new Taken(null, false, job.status());
                    }
                    redelivered = true;
                }
                case QUEUED -> {
                }
            }
            job.state(dev.herald.jobs.JobState.ACTIVE);
            job.attempt++;
            job.progress = 0; // each attempt reports its own progress
            job.progressMessage = null;
            job.progressData = null;
            job.nextRunAt = 0;
            job.lease = JobIds.newLease();
            job.visibilityMillis = job.timeoutMillis > 0 ? job.timeoutMillis : visibility;
            job.leaseUntil = now + job.visibilityMillis;
            job.updatedAt = now;
            job.startedAt = now;
            job.handle = handle;
            tickets.moveIn(handle, job.visibilityMillis);
            if (docs.update(job, entry.getRevision()) < 0) {
                continue;
            }
            return new Taken(new LeasedJob(job.status(), job.data, job.lease, job.leaseUntil), redelivered, null);
        }
        throw new BrokerUnavailableException("job " + id + " changed too often; retry later");
    }

    /** When the queue's next delayed or failed job is due, as far as known, or 0. */
    private long nextDue(QueueName queue) throws IOException, JetStreamApiException {
        KeyValueEntry entry = space.jobs().get(JobSpace.dueKey(queue));
        if (entry == null || entry.getValue() == null) {
            return 0;
        }
        long at = Long.parseLong(new String(entry.getValue(), StandardCharsets.US_ASCII));
        return at > System.currentTimeMillis() ? at : 0;
    }

    /**
     * Records that a job of the queue is due at {@code at}: the queue's next due time becomes the earlier
     * of the two (or {@code at}, when the recorded one has passed). A hint for waiting workers, who poll
     * anyway: once the recorded time passes, later due times are known only when recorded again.
     */
    void dueAt(QueueName queue, long at) throws IOException, JetStreamApiException {
        String key = JobSpace.dueKey(queue);
        byte[] value = String.valueOf(at).getBytes(StandardCharsets.US_ASCII);
        for (int attempt = 0; attempt < MAX_CAS; attempt++) {
            KeyValueEntry entry = space.jobs().get(key);
            if (entry != null && entry.getValue() != null) {
                long recorded = Long.parseLong(new String(entry.getValue(), StandardCharsets.US_ASCII));
                if (recorded > System.currentTimeMillis() && recorded <= at) {
                    return;
                }
            }
            if (space.swapJob(key, value, entry == null ? 0 : entry.getRevision(), "") >= 0) {
                return;
            }
        }
    }
}
