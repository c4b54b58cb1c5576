package dev.herald.publish;

import dev.herald.api.PayloadTooLargeException;
import dev.herald.api.RequestTimeoutException;
import dev.herald.api.ErrorCode;
import dev.herald.api.RetryLaterException;
import dev.herald.config.HeraldConfig;
import dev.herald.metrics.HeraldMetrics;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Reads publish bodies on the event loop, within three bounds: its size ({@code max-body-bytes}, also for
 * chunked bodies, whose size is known only at their end), a deadline ({@code body-timeout}) and the bytes
 * all bodies in flight hold together ({@code max-pending-body-bytes}).
 *
 * <p>Slow-body attack: a body read by a blocking input stream holds a worker thread until its last byte,
 * so a few hundred connections that send four bytes of a promised thousand stalled every blocking
 * request of the node, readiness checks included. Here a waiting body holds only its bytes and a timer,
 * and it is read only after its request was authorized.
 */
@ApplicationScoped
public class BodyReader {

    private static final Logger LOG = Logger.getLogger(BodyReader.class);

    private final long maxBodyBytes;
    private final long timeoutMillis;
    private final long maxPendingBytes;
    private final HeraldMetrics metrics;
    private final AtomicLong pending = new AtomicLong();

    public BodyReader(HeraldConfig config, HeraldMetrics metrics) {
        this.maxBodyBytes = config.publish().maxBodyBytes();
        this.timeoutMillis = Math.max(1, config.publish().bodyTimeout().toMillis());
        this.maxPendingBytes = config.publish().maxPendingBodyBytes();
        this.metrics = metrics;
    }

    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    /** Bytes of bodies being read now, over all connections. */
    public long pendingBytes() {
        return pending.get();
    }

    /**
     * Reads the body of a paused request. Exactly one of {@code onBody} and {@code onFailure} is called,
     * on the request's event loop, unless the client goes away first (then neither: there is nobody to
     * answer). Failures: {@link PayloadTooLargeException}, {@link RequestTimeoutException},
     * {@link RetryLaterException} (the node holds too many bodies); after any of them the request stays
     * paused and its connection should be closed.
     */
    public void read(Vertx vertx, HttpServerRequest request, Handler<Buffer> onBody, Handler<Throwable> onFailure) {
        new Reading(vertx, request, onBody, onFailure).start();
    }

    private final class Reading {
        private final Vertx vertx;
        private final HttpServerRequest request;
        private final Handler<Buffer> onBody;
        private final Handler<Throwable> onFailure;
        private Buffer body;
        private long reserved;
        private long timer;
        private boolean done;

        Reading(Vertx vertx, HttpServerRequest request, Handler<Buffer> onBody, Handler<Throwable> onFailure) {
            this.vertx = vertx;
            this.request = request;
            this.onBody = onBody;
            this.onFailure = onFailure;
        }

        void start() {
            String length = request.getHeader("Content-Length");
            long declared = 0;
            if (length != null) {
                try {
                    declared = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    declared = 0;
                }
            }
            body = Buffer.buffer((int) Math.max(64, Math.min(declared, Math.min(maxBodyBytes, 64 * 1024))));
            timer = vertx.setTimer(timeoutMillis, id -> {
                metrics.requestRefused("body-timeout");
                fail(new RequestTimeoutException("the request body did not arrive within " + timeoutMillis + " ms"));
            });
            if (request.version() == HttpVersion.HTTP_1_1 && "100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
                // Authorized: now the client may send the body it held back.
                request.response().writeContinue();
            }
            request.handler(this::data);
            request.endHandler(v -> end());
            request.exceptionHandler(this::aborted);
            request.resume();
        }

        private void data(Buffer chunk) {
            if (done) {
                return;
            }
            int n = chunk.length();
            if (body.length() + (long) n > maxBodyBytes) {
                metrics.requestRefused("body-too-large");
                fail(new PayloadTooLargeException("the request body is over " + maxBodyBytes + " bytes"));
                return;
            }
            if (pending.addAndGet(n) > maxPendingBytes) {
                pending.addAndGet(-n);
                metrics.requestRefused("bodies-pending");
                fail(new RetryLaterException(ErrorCode.SERVER_BUSY,
                        "the node holds too many request bodies in flight; retry shortly", 1));
                return;
            }
            reserved += n;
            body.appendBuffer(chunk);
        }

        private void end() {
            if (finish()) {
                onBody.handle(body);
            }
        }

        private void fail(Throwable failure) {
            if (finish()) {
                request.pause();
                request.handler(null);
                onFailure.handle(failure);
            }
        }

        private void aborted(Throwable failure) {
            if (finish()) {
                // A client that went away mid-body: its mistake, not the node's; nobody left to answer.
                LOG.debugf("publish body aborted by the client: %s", failure.toString());
                metrics.requestRefused("body-aborted");
            }
        }

        private boolean finish() {
            if (done) {
                return false;
            }
            done = true;
            vertx.cancelTimer(timer);
            pending.addAndGet(-reserved);
            reserved = 0;
            return true;
        }
    }
}
