package dev.herald.jobs.nats;

import dev.herald.broker.BrokerUnavailableException;
import dev.herald.jobs.EnqueueRequest;
import dev.herald.jobs.Enqueued;
import dev.herald.jobs.JobState;
import dev.herald.jobs.QueueName;
import dev.herald.jobs.nats.JobDocs.Stored;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.KeyValueEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jboss.logging.Logger;

/** Enqueues: a job's document, its idempotency key and its ticket, so that a 202 means all are stored. */
final class JobIntake {

    private static final Logger LOG = Logger.getLogger(JobIntake.class);
    private static final int MAX_CAS = 50;

    private final JobSpace space;
    private final Tickets tickets;
    private final JobDocs docs;
    private final TicketLeaser leaser;

    JobIntake(JobSpace space, Tickets tickets, JobDocs docs, TicketLeaser leaser) {
        this.space = space;
        this.tickets = tickets;
        this.docs = docs;
        this.leaser = leaser;
    }

    /**
     * Stores the job's document, then claims its idempotency key (insert-if-absent), then its ticket. The
     * document comes first so that a key always names a job that was stored: of two requests with one
     * key at once, the one whose claim fails forgets its document (it has no ticket yet) and answers with
     * the other's job. A key naming a job that is gone (forgotten, or never got its ticket) is taken over.
     */
    Enqueued store(EnqueueRequest request) throws IOException, JetStreamApiException {
        QueueName queue = request.queue();
        NatsJob job = NatsJob.of(request, System.currentTimeMillis());
        long revision = docs.create(job);
        if (revision < 0) {
            Stored same = docs.find(job.id);
            if (same == null) {
                throw new BrokerUnavailableException("job " + job.id + " is being stored; retry later");
            }
            return duplicate(same); // the same request again
        }
        if (request.idempotencyKey() != null) {
            Stored first = claim(JobSpace.idempotencyKey(queue, request.idempotencyKey()), job.id);
            if (first != null) {
                forget(job.id, revision);
                return duplicate(first);
            }
        }
        try {
            tickets.add(queue, job.id, job.id);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            forget(job.id, revision); // else a retry with the same idempotency key stores the ticket
            throw e;
        }
        if (job.state() == JobState.DELAYED) {
            leaser.dueAt(queue, job.nextRunAt);
        }
        return new Enqueued(job.status(), false);
    }

    /** Claims the key for job {@code id}: null when claimed, else the job that holds it. */
    private Stored claim(String key, String id) throws IOException, JetStreamApiException {
        byte[] value = id.getBytes(StandardCharsets.US_ASCII);
        for (int attempt = 0; attempt < MAX_CAS; attempt++) {
            KeyValueEntry held = space.keys().get(key);
            if (held != null && held.getValue() != null) {
                Stored first = docs.find(new String(held.getValue(), StandardCharsets.US_ASCII));
                if (first != null) {
                    return first;
                }
            }
            if (space.swapKey(key, value, held == null ? 0 : held.getRevision()) >= 0) {
                return null;
            }
        }
        throw new BrokerUnavailableException("idempotency key changed too often; retry later");
    }

    private void forget(String id, long revision) {
        try {
            space.forget(id, revision);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            // an unclaimed document without a ticket: counted as queued, never leased
            LOG.debugf("job %s not forgotten: %s", id, e.getMessage());
        }
    }

    /**
     * The answer to a request whose job exists. Its ticket is sent again while the job waits, in case the
     * first request failed after storing the job but before its ticket: a ticket already stored within
     * the stream's duplicate window is not stored twice, and a second ticket would only be acknowledged.
     */
    private Enqueued duplicate(Stored stored) throws IOException, JetStreamApiException {
        JobState state = stored.job().state();
        if (!stored.finished() && (state == JobState.QUEUED || state == JobState.DELAYED) && stored.job().attempt == 0) {
            tickets.add(QueueName.of(stored.job().queue), stored.job().id, stored.job().id);
        }
        return new Enqueued(stored.job().status(), true);
    }

}
