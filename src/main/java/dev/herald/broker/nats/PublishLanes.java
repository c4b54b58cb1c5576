package dev.herald.broker.nats;

import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.PublishRequest;
import dev.herald.broker.PublishResult;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

/**
 * Publishes of one topic from this node go one after the other: each names the topic's last sequence
 * ({@code Nats-Expected-Last-Subject-Sequence}, see {@link StoredEvent}), which is known only once the
 * previous publish is acknowledged. Topics are independent. The last sequence and byte count of recently
 * used topics are remembered ({@link #MAX_TAILS}); a publish from another node makes the remembered one
 * stale, NATS refuses the publish, and it is retried with the topic's actual tail.
 */
final class PublishLanes {

    /** Tails remembered; beyond it the least recently used are read again from the stream when needed. */
    static final int MAX_TAILS = 10_000;

    /** Sends one publish with the given tail; completes with the result or fails. */
    interface Sender {
        CompletableFuture<PublishResult> send(PublishRequest request, Tail tail);

        CompletableFuture<Tail> fetchTail(PublishRequest request);
    }

    /** A topic's newest stored event: its sequence and the topic's bytes up to it. */
    record Tail(long seq, long cum) {
        static final Tail EMPTY = new Tail(0, 0);
    }

    /** NATS refused the publish because the tail it named is not the topic's last sequence. */
    static final class StaleTail extends RuntimeException {
        StaleTail(Throwable cause) {
            super("the topic's last sequence changed", cause, false, false);
        }
    }

    private record Pending(PublishRequest request, CompletableFuture<PublishResult> result) {
    }

    private static final int MAX_ATTEMPTS = 50;

    private final Sender sender;
    private final Map<String, ArrayDeque<Pending>> lanes = new HashMap<>();
    private final Map<String, Tail> tails = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Tail> eldest) {
            return size() > MAX_TAILS;
        }
    };

    PublishLanes(Sender sender) {
        this.sender = sender;
    }

    CompletableFuture<PublishResult> publish(PublishRequest request) {
        Pending pending = new Pending(request, new CompletableFuture<>());
        String key = request.topic().name();
        boolean first;
        synchronized (this) {
            ArrayDeque<Pending> lane = lanes.get(key);
            first = lane == null;
            if (first) {
                lanes.put(key, new ArrayDeque<>());
            } else {
                lane.add(pending);
            }
        }
        if (first) {
            run(key, pending);
        }
        return pending.result();
    }

    /** A stored event of the topic seen live: a newer tail than the one remembered saves a refused publish. */
    synchronized void seen(String topic, long seq, long cum) {
        Tail known = tails.get(topic);
        if (known != null && seq > known.seq()) {
            tails.put(topic, new Tail(seq, cum));
        }
    }

    private void run(String key, Pending pending) {
        CompletableFuture<PublishResult> done = attempt(pending.request(), 1);
        Runnable next = () -> {
            done.whenComplete((result, failure) -> {
                if (failure != null) {
                    pending.result().completeExceptionally(unwrap(failure));
                } else {
                    pending.result().complete(result);
                }
            });
            Pending following;
            synchronized (this) {
                ArrayDeque<Pending> lane = lanes.get(key);
                following = lane.poll();
                if (following == null) {
                    lanes.remove(key);
                }
            }
            if (following != null) {
                run(key, following);
            }
        };
        if (done.isDone()) {
            // Failing at once (broker down): continue on another thread, not deeper in this stack.
            ForkJoinPool.commonPool().execute(next);
        } else {
            done.whenComplete((r, t) -> next.run());
        }
    }

    private CompletableFuture<PublishResult> attempt(PublishRequest request, int attempt) {
        String key = request.topic().name();
        Tail known;
        synchronized (this) {
            known = tails.get(key);
        }
        CompletableFuture<Tail> tail = known != null ? CompletableFuture.completedFuture(known) : sender.fetchTail(request);
        return tail.thenCompose(t -> sender.send(request, t).thenApply(result -> {
            if (!result.duplicate()) {
                synchronized (this) {
                    tails.put(key, new Tail(StoredEvent.seqOf(result.id()), t.cum()
                            + StoredEvent.cost(request.type(), NatsBroker.utf8Length(request.data()))));
                }
            }
            return result;
        })).handle((result, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(result);
            }
            synchronized (this) {
                tails.remove(key);
            }
            Throwable cause = unwrap(failure);
            if (cause instanceof StaleTail && attempt < MAX_ATTEMPTS) {
                return attempt(request, attempt + 1);
            }
            if (cause instanceof StaleTail) {
                return CompletableFuture.<PublishResult>failedFuture(new BrokerUnavailableException(
                        "too many concurrent publishes to this topic; retry later", cause));
            }
            return CompletableFuture.<PublishResult>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    static Throwable unwrap(Throwable t) {
        // jnats wraps a JetStream error of an async publish in a plain RuntimeException.
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException
                || (t.getClass() == RuntimeException.class && t.getCause() instanceof io.nats.client.JetStreamApiException))
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
