package dev.herald.broker.nats;

import dev.herald.event.Topic;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Where a topic lives in NATS. A topic name becomes one subject token (and one key-value key): letters,
 * digits and {@code -} stay, every other character ({@code . : @ | _}) becomes {@code _} and two hex
 * digits. The encoding is injective, so two topics never share a subject, and a {@code .} in a topic
 * can never split it into two tokens (nor a {@code *} or {@code >} make it a wildcard: topics cannot
 * contain them, and the encoding would escape them anyway).
 *
 * <ul>
 *   <li>{@code <prefix>.h.<topic>}: the topic's history, captured by the stream.</li>
 *   <li>{@code <prefix>.l.<topic>}: its live events, republished by the stream once stored.</li>
 *   <li>{@code <prefix>.p.<topic>}: its presence notices (core NATS, not stored).</li>
 * </ul>
 */
final class NatsSubjects {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private final String prefix;

    NatsSubjects(String prefix) {
        this.prefix = prefix;
    }

    String history(Topic topic) {
        return prefix + ".h." + token(topic);
    }

    String historyWildcard() {
        return prefix + ".h.*";
    }

    String live(Topic topic) {
        return prefix + ".l." + token(topic);
    }

    /** The republish destination: the live subject of the stored message's topic token. */
    String liveTemplate() {
        return prefix + ".l.{{wildcard(1)}}";
    }

    String presence(Topic topic) {
        return prefix + ".p." + token(topic);
    }

    /** The topic as one subject token or key-value key. */
    static String token(Topic topic) {
        String name = topic.name();
        StringBuilder sb = null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (plain) {
                if (sb != null) {
                    sb.append(c);
                }
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(name.length() + 16).append(name, 0, i);
            }
            sb.append('_').append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
        }
        return sb == null ? name : sb.toString();
    }

    /**
     * The {@code Nats-Msg-Id} of an idempotency key: per topic (the same key on two topics is two
     * events), hashed so that any key is a valid header value and all have one length.
     */
    static String messageId(Topic topic, String idempotencyKey) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(topic.name().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(idempotencyKey.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
