package dev.herald.jobs;

import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Job ids and lease tokens. A job id is {@code <tag>-<random><owner mark>}:
 * <ul>
 *   <li>the tag is six hex digits of the SHA-1 of the job's queue name, so a backend can place a job next
 *   to its queue knowing only the id (the Redis store uses the tag as the hash tag of both);</li>
 *   <li>80 random bits make ids unguessable and unique across queues;</li>
 *   <li>the owner mark, 64 bits of the SHA-256 of the id so far and the enqueuing subject, binds the job to
 *   its owner: any node tells, from the id alone and without a lookup, that a subject may read the job and
 *   follow its topic. Another subject who learns the id cannot pass as its owner (its mark would have to
 *   match by chance, 2<sup>-64</sup>), and cannot choose an id, which the server draws.</li>
 * </ul>
 * Ids use only {@code 0-9 a-f -}: URL-safe, and {@code job:<id>} is a valid topic.
 */
public final class JobIds {

    public static final int TAG_LENGTH = 6;
    private static final int RANDOM_BYTES = 10;
    private static final int MARK_BYTES = 8;
    public static final int LENGTH = TAG_LENGTH + 1 + 2 * RANDOM_BYTES + 2 * MARK_BYTES;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private JobIds() {
    }

    /** A new id for a job of {@code queue} enqueued by {@code owner} (a subject, or null). */
    public static String newId(QueueName queue, String owner) {
        String unmarked = tag(queue) + "-" + random(RANDOM_BYTES);
        // An owner-less job gets a random mark, which no subject matches.
        return unmarked + (owner == null ? random(MARK_BYTES) : mark(unmarked, owner));
    }

    /** A new id for a job without an owner. */
    public static String newId(QueueName queue) {
        return newId(queue, null);
    }

    /** Whether {@code subject} enqueued the job {@code id}; false for anything that is not a job id. */
    public static boolean ownedBy(String id, String subject) {
        if (subject == null || !isValid(id)) {
            return false;
        }
        int at = LENGTH - 2 * MARK_BYTES;
        return MessageDigest.isEqual(mark(id.substring(0, at), subject).getBytes(StandardCharsets.US_ASCII),
                id.substring(at).getBytes(StandardCharsets.US_ASCII));
    }

    private static String mark(String unmarked, String owner) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(unmarked.getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            sha.update(owner.getBytes(StandardCharsets.UTF_8));
            return HEX.formatHex(sha.digest(), 0, MARK_BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new lease token: 128 random bits, so a worker cannot guess another worker's lease. */
    public static String newLease() {
        return random(16);
    }

    /** The hash tag shared by a queue and its jobs. */
    public static String tag(QueueName queue) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(queue.name().getBytes(StandardCharsets.UTF_8));
            return HEX.formatHex(digest).substring(0, TAG_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tag of a valid id. */
    public static String tagOf(String id) {
        return id.substring(0, TAG_LENGTH);
    }

    public static boolean isValid(String id) {
        if (id == null || id.length() != LENGTH || id.charAt(TAG_LENGTH) != '-') {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (i != TAG_LENGTH && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** Checks an id given by a client; 400 for anything that cannot be a job id. */
    public static String require(String id) {
        if (!isValid(id)) {
            throw new InvalidInputException("invalid job id '" + InvalidInputException.excerpt(id) + "'");
        }
        return id;
    }

    /** The topic on which a job's lifecycle is published. */
    public static Topic topic(String id) {
        return Topic.of("job:" + id);
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HEX.formatHex(b);
    }
}
