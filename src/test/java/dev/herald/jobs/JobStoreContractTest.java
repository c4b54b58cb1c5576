package dev.herald.jobs;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.jobs.Settlement.Outcome;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link JobStore} keeps (see its Javadoc). Each backend extends this class with a
 * factory for n nodes sharing one backend. Tests use a unique queue per test, so a shared backend needs
 * no flush.
 */
public abstract class JobStoreContractTest {

    /** Quick retries, so that retry tests finish in a moment; a day of retention. */
    protected static final JobPolicy CONTRACT_POLICY =
            new JobPolicy(Duration.ofHours(24), Duration.ofMillis(50), Duration.ofMillis(200));
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration VISIBILITY = Duration.ofSeconds(30);

    private final List<JobStore> created = new ArrayList<>();
    protected QueueName queue;

    /** n nodes on one shared backend, with {@code policy}. */
    protected abstract List<JobStore> stores(int n, JobPolicy policy);

    @BeforeEach
    void uniqueQueue() {
        queue = QueueName.of("q" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + ":work");
    }

    @AfterEach
    void closeStores() {
        created.forEach(JobStore::close);
        created.clear();
    }

    protected List<JobStore> nodes(int n, JobPolicy policy) {
        List<JobStore> stores = stores(n, policy);
        created.addAll(stores);
        return stores;
    }

    protected JobStore node() {
        return nodes(1, CONTRACT_POLICY).get(0);
    }

    protected static <T> T done(Uni<T> uni) {
        return uni.await().atMost(TIMEOUT);
    }

    private Enqueued enqueue(JobStore store, String data) {
        return done(store.enqueue(EnqueueRequest.of(queue, "resize", data, 3)));
    }

    private LeaseBatch lease(JobStore store, int max, Duration visibility) {
        return done(store.lease(new LeaseRequest(queue, max, visibility)));
    }

    private LeasedJob leaseOne(JobStore store, Duration visibility) {
        List<LeasedJob> jobs = lease(store, 1, visibility).jobs();
        assertEquals(1, jobs.size(), "one job leased");
        return jobs.get(0);
    }

    @Test
    void anEnqueuedJobIsLeasedWithItsDataAttemptAndALease() {
        JobStore store = node();
        Enqueued enqueued = enqueue(store, "{\"w\":100}");
        assertFalse(enqueued.duplicate());
        assertEquals(JobState.QUEUED, enqueued.status().state());
        assertTrue(JobIds.isValid(enqueued.id()));

        LeasedJob job = leaseOne(store, VISIBILITY);
        assertEquals(enqueued.id(), job.id());
        assertEquals("{\"w\":100}", job.data());
        assertEquals("resize", job.status().type());
        assertEquals(1, job.status().attempt());
        assertEquals(3, job.status().maxAttempts());
        assertEquals(JobState.ACTIVE, job.status().state());
        assertTrue(job.leaseUntil() > System.currentTimeMillis() + 20_000, "leased for the visibility");
        assertEquals(JobState.ACTIVE, done(store.status(job.id())).state());
        assertTrue(lease(store, 5, VISIBILITY).jobs().isEmpty(), "a leased job is not leased again");
    }

    @Test
    void severalAcksAreEachSettledAsTheirOwnAckWouldBeAndAnsweredInOrder() {
        JobStore store = node();
        QueueName other = QueueName.of("r" + queue.name().substring(1));
        String a = enqueue(store, "1").id();
        String b = enqueue(store, "2").id();
        String d = enqueue(store, "3").id();
        String c = done(store.enqueue(EnqueueRequest.of(other, "resize", "4", 3))).id();
        List<LeasedJob> leased = lease(store, 3, VISIBILITY).jobs();
        assertEquals(List.of(a, b, d), leased.stream().map(LeasedJob::id).toList());
        LeasedJob cJob = done(store.lease(new LeaseRequest(other, 1, VISIBILITY))).jobs().get(0);
        assertEquals(Outcome.APPLIED, done(store.ack(b, leased.get(1).lease(), null)).outcome());

        List<Settlement> settled = done(store.ackAll(List.of(
                new JobStore.Ack(a, leased.get(0).lease(), "{\"r\":1}"),
                new JobStore.Ack(b, leased.get(1).lease(), null),
                new JobStore.Ack(c, cJob.lease(), null),
                new JobStore.Ack(JobIds.newId(queue), leased.get(2).lease(), null),
                new JobStore.Ack(d, JobIds.newLease(), null),
                new JobStore.Ack(a, leased.get(0).lease(), "{\"r\":1}"))));
        assertEquals(List.of(Outcome.APPLIED, Outcome.REPEATED, Outcome.APPLIED, Outcome.NOT_FOUND, Outcome.CONFLICT,
                Outcome.REPEATED), settled.stream().map(Settlement::outcome).toList());
        assertEquals(JobState.SUCCEEDED, settled.get(0).status().state());
        assertEquals("{\"r\":1}", settled.get(0).status().result());
        assertEquals(c, settled.get(2).status().id());
        assertEquals(JobState.ACTIVE, settled.get(4).status().state(), "a stale lease changes nothing");
        assertEquals(JobState.ACTIVE, done(store.status(d)).state());
        assertEquals(2, done(store.counts(queue)).succeeded());
        assertEquals(1, done(store.counts(other)).succeeded());
        assertEquals(List.of(), done(store.ackAll(List.of())));
    }

    @Test
    void theSameIdempotencyKeyAnswersWithTheFirstJobAndStoresNothing() {
        JobStore store = node();
        EnqueueRequest request = new EnqueueRequest(queue, "mail", "1", "order-42", Duration.ZERO, 3, null, "alice");
        Enqueued first = done(store.enqueue(request));
        Enqueued again = done(store.enqueue(request));
        assertTrue(again.duplicate());
        assertEquals(first.id(), again.id());
        assertEquals(1, done(store.counts(queue)).queued());
        assertEquals("alice", done(store.status(first.id())).owner());
    }

    /**
     * A batch is stored as its enqueues one by one would be: in order, a key seen earlier in the same batch
     * answers with the first job, and each answer is the job as stored (a store that stores several jobs in
     * one call answers from the request, not from reading the job back).
     */
    @Test
    void severalEnqueuesAreEachStoredAsTheirOwnWouldBeAndAnsweredInOrder() {
        JobStore store = node();
        QueueName other = QueueName.of("r" + queue.name().substring(1));
        EnqueueRequest keyed = new EnqueueRequest(queue, "mail", "{\"to\":\"a\"}", "order-9", Duration.ZERO, 2, null,
                "alice");
        String trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        List<EnqueueRequest> batch = List.of(keyed,
                EnqueueRequest.of(other, "resize", "2", 3),
                new EnqueueRequest(queue, "mail", "{\"to\":\"b\"}", "order-9", Duration.ZERO, 2, null, "alice"),
                new EnqueueRequest(queue, "later", "null", null, Duration.ofMinutes(1), 1, Duration.ofSeconds(5), null)
                        .withTrace(trace),
                keyed);
        List<Enqueued> answers = done(store.enqueueAll(batch));

        assertEquals(List.of(false, false, true, false, true), answers.stream().map(Enqueued::duplicate).toList());
        assertEquals(keyed.id(), answers.get(0).id());
        assertEquals(keyed.id(), answers.get(2).id(), "the key seen earlier in the batch");
        assertEquals(keyed.id(), answers.get(4).id());
        assertEquals(JobState.QUEUED, answers.get(1).status().state());
        assertEquals(JobState.DELAYED, answers.get(3).status().state());
        assertEquals(answers.get(3).status().createdAt() + 60_000, answers.get(3).status().nextRunAt());
        for (int i : new int[] {0, 1, 3}) {
            assertEquals(done(store.status(answers.get(i).id())), answers.get(i).status(), "answer " + i + " as stored");
        }
        assertEquals("{\"to\":\"a\"}", leaseOne(store, VISIBILITY).data());
        QueueCounts counts = done(store.counts(queue));
        assertEquals(1, counts.delayed());
        assertEquals(1, counts.active());
        assertEquals(0, counts.queued());
        assertEquals(1, done(store.counts(other)).queued());
    }

    @Test
    void aJobsTraceIsStoredWithItAndHandedToItsLeaseAndSettlement() {
        JobStore store = node();
        String trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        Enqueued traced = done(store.enqueue(EnqueueRequest.of(queue, "mail", "1", 3).withTrace(trace)));
        assertEquals(trace, traced.status().trace());

        LeasedJob job = leaseOne(store, VISIBILITY);
        assertEquals(trace, job.status().trace());
        assertEquals(trace, done(store.status(traced.id())).trace());
        assertEquals(trace, done(store.ack(job.id(), job.lease(), null)).status().trace());
        Enqueued untraced = enqueue(store, "2");
        assertNull(untraced.status().trace());
        assertNull(leaseOne(store, VISIBILITY).status().trace());
    }

    @Test
    void aDelayedJobIsLeasedOnlyOnceItIsDue() {
        JobStore store = node();
        Enqueued delayed = done(store.enqueue(
                new EnqueueRequest(queue, "later", "null", null, Duration.ofMillis(1500), 1, null, null)));
        assertEquals(JobState.DELAYED, delayed.status().state());
        assertTrue(delayed.status().nextRunAt() > delayed.status().createdAt());
        LeaseBatch early = lease(store, 1, VISIBILITY);
        assertTrue(early.jobs().isEmpty() || System.currentTimeMillis() >= delayed.status().nextRunAt(),
                "not leased before its time");
        if (early.jobs().isEmpty()) {
            assertTrue(early.nextDueAt() >= delayed.status().nextRunAt() - 5, "the next due time is told");
        }
        await().atMost(TIMEOUT).until(() -> early.jobs().size() + lease(store, 1, VISIBILITY).jobs().size() == 1);
    }

    @Test
    void aLeaseHandsOutAtMostMaxJobsOldestFirst() {
        JobStore store = node();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(enqueue(store, String.valueOf(i)).id());
        }
        List<LeasedJob> first = lease(store, 3, VISIBILITY).jobs();
        assertEquals(ids.subList(0, 3), first.stream().map(LeasedJob::id).toList());
        List<LeasedJob> rest = lease(store, 10, VISIBILITY).jobs();
        assertEquals(ids.subList(3, 5), rest.stream().map(LeasedJob::id).toList());
        assertNotEquals(first.get(0).lease(), first.get(1).lease());
    }

    @Test
    void anAckSucceedsTheJobAndTheSameAckAgainAnswersTheSame() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob job = leaseOne(store, VISIBILITY);
        Settlement acked = done(store.ack(job.id(), job.lease(), "{\"url\":\"/a.png\"}"));
        assertEquals(Outcome.APPLIED, acked.outcome());
        assertEquals(JobState.SUCCEEDED, acked.status().state());
        assertEquals("{\"url\":\"/a.png\"}", acked.status().result());

        Settlement again = done(store.ack(job.id(), job.lease(), "{\"other\":1}"));
        assertEquals(Outcome.REPEATED, again.outcome());
        assertEquals(acked.status(), again.status());
        assertEquals(Outcome.CONFLICT, done(store.nack(job.id(), job.lease(), new Nack("late", true, null))).outcome());
        assertEquals(Outcome.CONFLICT, done(store.progress(job.id(), job.lease(), 50, null, null)).outcome());
    }

    @Test
    void aLeaseThatIsNotTheCurrentOneCannotSettleTheJob() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob job = leaseOne(store, VISIBILITY);
        String forged = JobIds.newLease();
        assertEquals(Outcome.CONFLICT, done(store.ack(job.id(), forged, null)).outcome());
        assertEquals(Outcome.CONFLICT, done(store.nack(job.id(), forged, new Nack("x", true, null))).outcome());
        assertEquals(Outcome.CONFLICT, done(store.progress(job.id(), forged, 1, null, null)).outcome());
        assertEquals(JobState.ACTIVE, done(store.status(job.id())).state(), "nothing changed");
        assertEquals(Outcome.NOT_FOUND, done(store.ack(JobIds.newId(queue), job.lease(), null)).outcome());
    }

    @Test
    void anExpiredLeaseIsLeasedAgainWithTheNextAttemptAndTheOldLeaseIsStale() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob first = leaseOne(store, Duration.ofMillis(300));
        List<LeasedJob> again = new ArrayList<>();
        int[] redelivered = {0};
        await().atMost(TIMEOUT).until(() -> {
            LeaseBatch batch = lease(store, 1, VISIBILITY);
            again.addAll(batch.jobs());
            redelivered[0] += batch.redelivered();
            return !again.isEmpty();
        });
        LeasedJob second = again.get(0);
        assertEquals(first.id(), second.id());
        assertEquals(2, second.status().attempt());
        assertEquals(1, redelivered[0]);
        assertEquals(Outcome.CONFLICT, done(store.ack(first.id(), first.lease(), null)).outcome());
        assertEquals(Outcome.APPLIED, done(store.ack(second.id(), second.lease(), null)).outcome());
    }

    @Test
    void anExpiredLeaseWithNoAttemptLeftMakesTheJobDead() {
        JobStore store = node();
        Enqueued enqueued = done(store.enqueue(EnqueueRequest.of(queue, "once", "1", 1)));
        leaseOne(store, Duration.ofMillis(200));
        List<JobStatus> expired = new ArrayList<>();
        await().atMost(TIMEOUT).until(() -> {
            LeaseBatch batch = lease(store, 1, VISIBILITY);
            assertTrue(batch.jobs().isEmpty());
            expired.addAll(batch.expired());
            return !expired.isEmpty();
        });
        assertEquals(enqueued.id(), expired.get(0).id());
        assertEquals(JobState.DEAD, done(store.status(enqueued.id())).state());
        assertEquals(List.of(enqueued.id()), done(store.dead(queue, 10)).stream().map(JobStatus::id).toList());
    }

    @Test
    void aJobTimeoutOverridesTheWorkersVisibility() {
        JobStore store = node();
        done(store.enqueue(new EnqueueRequest(queue, "t", "1", null, Duration.ZERO, 2, Duration.ofSeconds(5), null)));
        LeasedJob job = leaseOne(store, Duration.ofHours(1));
        assertTrue(job.leaseUntil() < System.currentTimeMillis() + 10_000, "leased for the job's timeout");
    }

    @Test
    void progressIsRecordedAndExtendsTheLease() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob job = leaseOne(store, Duration.ofSeconds(2));
        await().pollDelay(Duration.ofSeconds(1)).atMost(TIMEOUT).until(() -> true);
        Settlement progressed = done(store.progress(job.id(), job.lease(), 40, "resizing", "{\"step\":2}"));
        assertEquals(Outcome.APPLIED, progressed.outcome());
        assertEquals(40, progressed.status().progress());
        assertEquals("resizing", progressed.status().progressMessage());
        assertEquals("{\"step\":2}", progressed.status().progressData());
        // Past the first lease's end, the extended lease still holds the job.
        await().atMost(TIMEOUT).until(() -> System.currentTimeMillis() > job.leaseUntil() + 100);
        assertTrue(lease(store, 1, VISIBILITY).jobs().isEmpty(), "the extended lease still holds the job");
        assertEquals(Outcome.APPLIED, done(store.ack(job.id(), job.lease(), null)).outcome());
    }

    @Test
    void aReleasedJobIsQueuedAgainAtOnceWithoutSpendingAnAttempt() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob job = leaseOne(store, VISIBILITY);
        Settlement released = done(store.release(job.id(), job.lease()));
        assertEquals(Outcome.APPLIED, released.outcome());
        assertEquals(JobState.QUEUED, released.status().state());
        assertEquals(0, released.status().attempt());
        assertEquals(Outcome.CONFLICT, done(store.release(job.id(), job.lease())).outcome());
        assertEquals(Outcome.CONFLICT, done(store.ack(job.id(), job.lease(), null)).outcome());
        LeasedJob again = leaseOne(store, VISIBILITY);
        assertEquals(job.id(), again.id());
        assertEquals(1, again.status().attempt());
    }

    @Test
    void aNewAttemptStartsWithoutTheLastAttemptsProgress() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob first = leaseOne(store, VISIBILITY);
        done(store.progress(first.id(), first.lease(), 70, "almost", "{\"n\":1}"));
        done(store.nack(first.id(), first.lease(), new Nack("x", true, Duration.ZERO)));
        List<LeasedJob> again = new ArrayList<>();
        await().atMost(TIMEOUT).until(() -> again.addAll(lease(store, 1, VISIBILITY).jobs()));
        assertEquals(0, again.get(0).status().progress());
        assertNull(again.get(0).status().progressMessage());
        assertNull(again.get(0).status().progressData());
    }

    @Test
    void aNackQueuesTheJobAgainAfterABackoffUntilItsAttemptsAreSpent() {
        JobStore store = node();
        Enqueued enqueued = enqueue(store, "1");
        for (int attempt = 1; attempt <= 3; attempt++) {
            List<LeasedJob> got = new ArrayList<>();
            await().atMost(TIMEOUT).until(() -> got.addAll(lease(store, 1, VISIBILITY).jobs()));
            LeasedJob job = got.get(0);
            assertEquals(attempt, job.status().attempt());
            Settlement nacked = done(store.nack(job.id(), job.lease(), new Nack("boom " + attempt, true, null)));
            assertEquals(Outcome.APPLIED, nacked.outcome());
            assertEquals("boom " + attempt, nacked.status().error());
            if (attempt < 3) {
                assertEquals(JobState.FAILED, nacked.status().state());
                assertTrue(nacked.status().nextRunAt() >= nacked.status().updatedAt(), "the retry time is told");
                assertEquals(1, done(store.counts(queue)).failed());
            } else {
                assertEquals(JobState.DEAD, nacked.status().state());
            }
            Settlement repeated = done(store.nack(job.id(), job.lease(), new Nack("boom " + attempt, true, null)));
            assertEquals(Outcome.REPEATED, repeated.outcome());
            assertEquals(Outcome.CONFLICT, done(store.ack(job.id(), job.lease(), null)).outcome());
        }
        assertEquals(JobState.DEAD, done(store.status(enqueued.id())).state());
        assertEquals(1, done(store.counts(queue)).dead());
    }

    @Test
    void aNackWithoutRetryMakesTheJobDeadAtOnce() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob job = leaseOne(store, VISIBILITY);
        Settlement dead = done(store.nack(job.id(), job.lease(), new Nack("bad input", false, null)));
        assertEquals(JobState.DEAD, dead.status().state());
        assertEquals(1, dead.status().attempt());
    }

    @Test
    void aNackWithADelayQueuesTheJobAtThatTime() {
        JobStore store = node();
        enqueue(store, "1");
        LeasedJob job = leaseOne(store, VISIBILITY);
        Settlement failed = done(store.nack(job.id(), job.lease(), new Nack("busy", true, Duration.ofHours(1))));
        assertTrue(failed.status().nextRunAt() >= failed.status().updatedAt() + 3_500_000);
        assertTrue(lease(store, 1, VISIBILITY).jobs().isEmpty(), "not before its time");
    }

    @Test
    void aDeadJobIsListedAndRetryQueuesItWithFreshAttempts() {
        JobStore store = node();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            enqueue(store, String.valueOf(i));
        }
        for (LeasedJob job : lease(store, 3, VISIBILITY).jobs()) {
            done(store.nack(job.id(), job.lease(), new Nack("no", false, null)));
            ids.add(0, job.id());
        }
        assertEquals(ids, done(store.dead(queue, 10)).stream().map(JobStatus::id).toList(), "newest first");
        assertEquals(2, done(store.dead(queue, 2)).size());

        Settlement retried = done(store.retry(ids.get(1)));
        assertEquals(Outcome.APPLIED, retried.outcome());
        assertEquals(JobState.QUEUED, retried.status().state());
        assertEquals(0, retried.status().attempt());
        assertEquals(Outcome.CONFLICT, done(store.retry(ids.get(1))).outcome(), "not dead any more");
        assertEquals(2, done(store.dead(queue, 10)).size());
        LeasedJob again = leaseOne(store, VISIBILITY);
        assertEquals(ids.get(1), again.id());
        assertEquals(1, again.status().attempt());
        assertEquals(Outcome.NOT_FOUND, done(store.retry(JobIds.newId(queue))).outcome());
    }

    @Test
    void countsTellJobsByStatusAndTheOldestWaitingAge() {
        JobStore store = node();
        for (int i = 0; i < 4; i++) {
            enqueue(store, String.valueOf(i));
        }
        done(store.enqueue(new EnqueueRequest(queue, "later", "1", null, Duration.ofHours(1), 1, null, null)));
        List<LeasedJob> leased = lease(store, 2, VISIBILITY).jobs();
        done(store.ack(leased.get(0).id(), leased.get(0).lease(), null));
        await().atMost(TIMEOUT).until(() -> done(store.counts(queue)).oldestWaitingMillis() > 0);
        QueueCounts counts = done(store.counts(queue));
        assertEquals(new QueueCounts(queue, 2, 1, 1, 1, 0, 0, counts.oldestWaitingMillis()), counts);
        QueueCounts empty = done(store.counts(QueueName.of(queue.name() + "-other")));
        assertEquals(new QueueCounts(empty.queue(), 0, 0, 0, 0, 0, 0, 0), empty);
    }

    @Test
    void finishedJobsAreForgottenAfterTheRetention() {
        JobStore store = nodes(1, new JobPolicy(Duration.ofMillis(500), Duration.ofMillis(50), Duration.ofMillis(50)))
                .get(0);
        enqueue(store, "1");
        enqueue(store, "2");
        List<LeasedJob> jobs = lease(store, 2, VISIBILITY).jobs();
        done(store.ack(jobs.get(0).id(), jobs.get(0).lease(), null));
        done(store.nack(jobs.get(1).id(), jobs.get(1).lease(), new Nack("no", false, null)));
        await().atMost(TIMEOUT).until(() -> done(store.status(jobs.get(0).id())) == null
                && done(store.status(jobs.get(1).id())) == null);
        QueueCounts counts = done(store.counts(queue));
        assertEquals(0, counts.succeeded());
        assertEquals(0, counts.dead());
        assertTrue(done(store.dead(queue, 10)).isEmpty());
    }

    @Test
    void anUnknownJobHasNoStatus() {
        assertNull(done(node().status(JobIds.newId(queue))));
    }

    @Test
    void queuesAreSeparate() {
        JobStore store = node();
        enqueue(store, "1");
        QueueName other = QueueName.of(queue.name() + ":other");
        assertTrue(done(store.lease(new LeaseRequest(other, 5, VISIBILITY))).jobs().isEmpty());
    }

    @Test
    void aNodeWatchingAQueueHearsOfJobsEnqueuedOnAnotherNode() {
        List<JobStore> stores = nodes(2, CONTRACT_POLICY);
        BlockingQueue<QueueName> heard = new LinkedBlockingQueue<>();
        stores.get(1).setAvailabilityListener(heard::add);
        stores.get(1).watch(queue);
        // A watch takes effect shortly after the call: enqueue until one is heard.
        await().atMost(TIMEOUT).until(() -> {
            enqueue(stores.get(0), "1");
            return heard.poll(100, TimeUnit.MILLISECONDS) != null;
        });
        stores.get(1).unwatch(queue);
    }

    /**
     * One lease settled at once through several nodes, as by a worker that retried its ack through another
     * node while the first was still on its way, or acked and nacked in two threads: of the calls made at
     * once, exactly one changes the job, and the job's state is that one's. (A JetStream cluster of
     * nats-server before 2.9.21 stored two such writes when the store relied on the revision check alone.)
     */
    @Test
    void callsSettlingOneLeaseAtOnceThroughSeveralNodesApplyOnce() throws Exception {
        List<JobStore> stores = nodes(3, CONTRACT_POLICY);
        int jobs = 20;
        int callsPerJob = 6;
        for (int i = 0; i < jobs; i++) {
            enqueue(stores.get(i % 3), String.valueOf(i));
        }
        List<LeasedJob> leased = new ArrayList<>();
        while (leased.size() < jobs) {
            List<LeasedJob> batch = lease(stores.get(0), jobs - leased.size(), VISIBILITY).jobs();
            assertFalse(batch.isEmpty(), "every enqueued job is leased");
            leased.addAll(batch);
        }
        ExecutorService pool = Executors.newFixedThreadPool(callsPerJob);
        try {
            for (LeasedJob job : leased) {
                CyclicBarrier together = new CyclicBarrier(callsPerJob);
                List<Future<Settlement>> calls = new ArrayList<>();
                for (int c = 0; c < callsPerJob; c++) {
                    JobStore store = stores.get(c % 3);
                    boolean ack = c % 2 == 0;
                    calls.add(pool.submit(() -> {
                        together.await();
                        return done(ack ? store.ack(job.id(), job.lease(), "ok")
                                : store.nack(job.id(), job.lease(), new Nack("failed", false, null)));
                    }));
                }
                List<Outcome> acks = new ArrayList<>();
                List<Outcome> nacks = new ArrayList<>();
                for (int c = 0; c < callsPerJob; c++) {
                    (c % 2 == 0 ? acks : nacks).add(calls.get(c).get(20, TimeUnit.SECONDS).outcome());
                }
                long applied = acks.stream().filter(o -> o == Outcome.APPLIED).count()
                        + nacks.stream().filter(o -> o == Outcome.APPLIED).count();
                assertEquals(1, applied, "one call applied for " + job.id() + ": acks " + acks + ", nacks " + nacks);
                JobState expected = acks.contains(Outcome.APPLIED) ? JobState.SUCCEEDED : JobState.DEAD;
                assertEquals(expected, done(stores.get(1).status(job.id())).state(),
                        "the job's state is the applied call's: acks " + acks + ", nacks " + nacks);
            }
        } finally {
            pool.shutdownNow();
        }
        QueueCounts counts = done(stores.get(0).counts(queue));
        assertEquals(jobs, counts.succeeded() + counts.dead(), "each job finished once: " + counts);
    }

    @Test
    void concurrentWorkersOnSeveralNodesLeaseEachJobOnce() throws Exception {
        List<JobStore> stores = nodes(3, CONTRACT_POLICY);
        int total = 300;
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < total; i++) {
            ids.add(enqueue(stores.get(i % 3), String.valueOf(i)).id());
        }
        Set<String> leased = ConcurrentHashMap.newKeySet();
        List<String> duplicates = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 6; w++) {
                JobStore store = stores.get(w % 3);
                workers.add(pool.submit(() -> {
                    for (int round = 0; round < 1000 && leased.size() < total; round++) {
                        for (LeasedJob job : lease(store, 7, VISIBILITY).jobs()) {
                            if (!leased.add(job.id())) {
                                synchronized (duplicates) {
                                    duplicates.add(job.id());
                                }
                            }
                            assertEquals(Outcome.APPLIED, done(store.ack(job.id(), job.lease(), null)).outcome());
                        }
                    }
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), duplicates);
        assertEquals(ids, leased);
        assertEquals(total, done(stores.get(0).counts(queue)).succeeded());
    }
}
