package dev.herald.transport.ws;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.vertx.http.runtime.filters.QuarkusRequestWrapper;
import io.vertx.core.http.HttpServerRequest;
import java.lang.reflect.Method;
import org.jboss.logging.Logger;

/**
 * Works around Quarkus 3.31's graceful shutdown never seeing a WebSocket upgrade request end.
 *
 * <p>{@code GracefulShutdownFilter} counts every request as in flight until its response ends or its
 * connection closes; an upgraded request's response never ends, and the WebSocket's close does not
 * reach it. Once a single WebSocket had been opened, every shutdown waited the whole
 * {@code quarkus.shutdown.timeout} (seen in tests: 20 s after the last connection had closed). The
 * session marks its upgrade request done when it ends, through the wrapper's package-private
 * {@code done()}; if that method ever disappears this degrades to the old wait, with one warning.
 */
@RegisterForReflection(targets = QuarkusRequestWrapper.class, methods = true)
final class UpgradeRequests {

    private static final Logger LOG = Logger.getLogger(UpgradeRequests.class);
    private static final Method DONE = find();

    private UpgradeRequests() {
    }

    private static Method find() {
        try {
            Method done = QuarkusRequestWrapper.class.getDeclaredMethod("done");
            done.setAccessible(true);
            return done;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot mark WebSocket upgrade requests done; shutdown will wait for quarkus.shutdown.timeout", e);
            return null;
        }
    }

    /** The request's Quarkus wrapper, to pass to {@link #done} later; null when there is none. */
    static QuarkusRequestWrapper wrapperOf(HttpServerRequest request) {
        return QuarkusRequestWrapper.get(request);
    }

    static void done(QuarkusRequestWrapper wrapper) {
        if (wrapper == null || DONE == null) {
            return;
        }
        try {
            DONE.invoke(wrapper);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debugf("cannot mark a WebSocket upgrade request done: %s", e);
        }
    }
}
