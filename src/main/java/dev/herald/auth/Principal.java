package dev.herald.auth;

import dev.herald.event.Topic;
import dev.herald.event.TopicPattern;
import java.util.List;

/**
 * Who is asking, and what they may do: from a verified token, or the anonymous client.
 *
 * @param authenticated whether a verified token stands behind this principal
 * @param subject   the token's {@code sub}, or null (anonymous, or a token without one)
 * @param subscribe patterns of topics this client may subscribe to (and read the history of)
 * @param publish   patterns of topics this client may publish to
 * @param expiresAt when the token expires (epoch seconds), or 0 when nothing expires
 * @param admin     whether the token carries the claim {@code "admin": true}: the admin page and its stream
 */
public record Principal(boolean authenticated, String subject, List<TopicPattern> subscribe,
                        List<TopicPattern> publish, long expiresAt, boolean admin) {

    /** Every right: used when authentication is turned off. */
    public static final Principal UNRESTRICTED =
            new Principal(true, null, List.of(TopicPattern.of("*")), List.of(TopicPattern.of("*")), 0, true);

    public Principal {
        subscribe = List.copyOf(subscribe);
        publish = List.copyOf(publish);
    }

    /** A principal without the admin right. */
    public Principal(boolean authenticated, String subject, List<TopicPattern> subscribe,
                     List<TopicPattern> publish, long expiresAt) {
        this(authenticated, subject, subscribe, publish, expiresAt, false);
    }

    public boolean isAnonymous() {
        return !authenticated;
    }

    /** A subject may always subscribe to its own {@code user:<sub>} topic. */
    public boolean maySubscribe(Topic topic) {
        if (subject != null && topic.name().equals("user:" + subject)) {
            return true;
        }
        return subscribe.stream().anyMatch(p -> p.matches(topic));
    }

    public boolean mayPublish(Topic topic) {
        return publish.stream().anyMatch(p -> p.matches(topic));
    }
}
