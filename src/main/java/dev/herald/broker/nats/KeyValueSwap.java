package dev.herald.broker.nats;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;

/**
 * Compare-and-set of one key-value entry that holds on a JetStream cluster of any nats-server version.
 * <p>
 * A key-value update names the revision it replaces ({@code Nats-Expected-Last-Subject-Sequence}). On a
 * clustered stream of nats-server before 2.9.21 (nats-server#4320; Debian's 2.9.10 among them) the
 * stream's leader checks that revision before it proposes the write, not when it stores it, so two writes
 * naming the same revision at once can both be stored: two acks of one lease both applied, a join lost.
 * A swap therefore also carries the message id {@code key@revision} (plus a {@code claim}, which tells
 * apart writes of one revision that are not rivals). The leader refuses an id it is storing or has stored
 * within the bucket's duplicate window, on every version, so of the writers that read one revision at
 * most one is stored; a later writer of that revision fails the revision check itself. (A leader change
 * in the instant between two such writes can still let both through: the leader's record of ids being
 * stored is its own, see nats-server#8469.)
 */
public final class KeyValueSwap {

    /** JetStream's "wrong last sequence": the entry changed since it was read (or exists, for a create). */
    public static final int WRONG_REVISION = 10071;
    /**
     * How long a bucket written by swaps remembers a write's message id: far longer than a write takes to
     * be stored, far shorter than a bucket's default of two minutes, which would keep an id per write for
     * two minutes in every server's memory.
     */
    public static final Duration WINDOW = Duration.ofSeconds(30);

    private KeyValueSwap() {
    }

    /**
     * Writes {@code value} at {@code key} of {@code bucket} only if the key's last revision is
     * {@code revision} (0: the key has none): the new revision, or -1 when the key changed since.
     */
    public static long swap(JetStream js, String bucket, String key, byte[] value, long revision, String claim)
            throws IOException, JetStreamApiException {
        PublishOptions options = PublishOptions.builder().expectedLastSubjectSequence(revision)
                .messageId(key + "@" + revision + claim).build();
        try {
            PublishAck ack = js.publish("$KV." + bucket + "." + key, value, options);
            return ack.isDuplicate() ? -1 : ack.getSeqno();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_REVISION) {
                return -1;
            }
            throw e;
        }
    }

    /**
     * Sets the duplicate window of a bucket written by swaps to {@link #WINDOW}, or to the bucket's max age
     * when that is shorter (NATS refuses a longer window), unless it is already.
     */
    public static void narrowWindow(JetStreamManagement jsm, String bucket) throws IOException, JetStreamApiException {
        StreamConfiguration config = jsm.getStreamInfo("KV_" + bucket).getConfiguration();
        Duration maxAge = config.getMaxAge();
        Duration window = maxAge != null && !maxAge.isZero() && maxAge.compareTo(WINDOW) < 0 ? maxAge : WINDOW;
        if (!window.equals(config.getDuplicateWindow())) {
            jsm.updateStream(StreamConfiguration.builder(config).duplicateWindow(window).build());
        }
    }
}
