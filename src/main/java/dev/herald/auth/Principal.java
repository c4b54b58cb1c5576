package dev.herald.auth;

import dev.herald.event.Topic;
import dev.herald.event.TopicPattern;
import dev.herald.jobs.JobIds;
import java.util.List;

/**
 * Who is asking, and what they may do: from a verified token, or the anonymous client.
 *
 * @param authenticated whether a verified token stands behind this principal
 * @param subject   the token's {@code sub}, or null (anonymous, or a token without one)
 * @param subscribe patterns of topics this client may subscribe to (and read the history of)
 * @param publish   patterns of topics this client may publish to
 * @param expiresAt when the token expires (epoch seconds), or 0 when nothing expires
 * @param queues    what this client may do with job queues
 * @param admin     whether the token carries {@code "admin": true} (or {@code "admin": ["*"]}): the admin
 *                  page and its stream, and every queue
 */
public record Principal(boolean authenticated, String subject, List<TopicPattern> subscribe,
                        List<TopicPattern> publish, long expiresAt, QueueRights queues, boolean admin) {

    /** Every right: used when authentication is turned off. */
    public static final Principal UNRESTRICTED = new Principal(true, null, List.of(TopicPattern.of("*")),
            List.of(TopicPattern.of("*")), 0, QueueRights.ALL, true);

    /** A principal without rights on job queues and without the admin right. */
    public Principal(boolean authenticated, String subject, List<TopicPattern> subscribe,
                     List<TopicPattern> publish, long expiresAt) {
        this(authenticated, subject, subscribe, publish, expiresAt, QueueRights.NONE, false);
    }

    public Principal {
        subscribe = List.copyOf(subscribe);
        publish = List.copyOf(publish);
    }

    private static final String JOB_TOPIC_PREFIX = "job:";

    /** Whether this principal enqueued the job {@code id} (authenticated subjects only). */
    public boolean owns(String id) {
        return subject != null && JobIds.ownedBy(id, subject);
    }

    public boolean isAnonymous() {
        return !authenticated;
    }

    /**
     * A subject may always subscribe to its own {@code user:<sub>} topic, and to the {@code job:<id>} topic
     * of every job it enqueued (the job id is bound to its owner: {@link JobIds#ownedBy}).
     */
    public boolean maySubscribe(Topic topic) {
        if (subject != null && topic.name().equals("user:" + subject)) {
            return true;
        }
        if (subject != null && topic.name().startsWith(JOB_TOPIC_PREFIX)
                && JobIds.ownedBy(topic.name().substring(JOB_TOPIC_PREFIX.length()), subject)) {
            return true;
        }
        return subscribe.stream().anyMatch(p -> p.matches(topic));
    }

    public boolean mayPublish(Topic topic) {
        return publish.stream().anyMatch(p -> p.matches(topic));
    }
}
