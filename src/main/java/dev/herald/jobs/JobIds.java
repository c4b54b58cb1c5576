package dev.herald.jobs;

import dev.herald.event.InvalidInputException;
import dev.herald.event.Topic;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Job ids and lease tokens. A job id is {@code <tag>-<random>}: the tag is six hex digits of the SHA-1
 * of the job's queue name, so a backend can place a job next to its queue knowing only the id (the Redis
 * store uses the tag as the hash tag of both), and 80 random bits make ids unguessable and unique across
 * queues. Ids use only {@code 0-9 a-f -}: URL-safe, and {@code job:<id>} is a valid topic.
 */
public final class JobIds {

    public static final int TAG_LENGTH = 6;
    private static final int RANDOM_BYTES = 10;
    public static final int LENGTH = TAG_LENGTH + 1 + 2 * RANDOM_BYTES;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private JobIds() {
    }

    /** A new id for a job of {@code queue}. */
    public static String newId(QueueName queue) {
        return tag(queue) + "-" + random(RANDOM_BYTES);
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
