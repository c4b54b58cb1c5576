package dev.herald.broker.nats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.broker.BrokerUnavailableException;
import dev.herald.broker.PresenceStore;
import dev.herald.event.Topic;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.impl.Headers;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Presence in a NATS key-value bucket: one entry per topic, a JSON object member → {@code [expiry, user]},
 * changed by compare-and-set on the entry's revision ({@link KeyValueSwap}; retried when another node
 * changed it first), so a user's join (first member anywhere) and leave (last member gone) are each
 * announced exactly once per change, on the topic's presence subject. An entry holds every member of its
 * topic, so NATS's maximum message size (1 MiB by default) bounds a topic to about ten thousand members.
 */
final class NatsPresence implements PresenceStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ATTEMPTS = 30;

    private final NatsConnection nats;
    private final NatsSubjects subjects;
    private final long ttlMillis;

    NatsPresence(NatsConnection nats, NatsSubjects subjects, Duration ttl) {
        this.nats = nats;
        this.subjects = subjects;
        this.ttlMillis = ttl.toMillis();
    }

    @Override
    public Uni<Void> join(Topic topic, String member, String user) {
        return change(topic, members -> {
            members.putArray(member).add(System.currentTimeMillis() + ttlMillis).add(user);
            return members;
        });
    }

    @Override
    public Uni<Void> leave(Topic topic, String member) {
        return change(topic, members -> members.remove(member) == null ? null : members);
    }

    @Override
    public Uni<Void> refresh(Topic topic, Map<String, String> mine) {
        return change(topic, members -> {
            long now = System.currentTimeMillis();
            boolean changed = !mine.isEmpty();
            Iterator<Map.Entry<String, JsonNode>> it = members.fields();
            while (it.hasNext()) {
                if (it.next().getValue().path(0).asLong() <= now) {
                    it.remove();
                    changed = true;
                }
            }
            mine.forEach((member, user) -> members.putArray(member).add(now + ttlMillis).add(user));
            return changed ? members : null;
        });
    }

    @Override
    public Uni<List<String>> members(Topic topic) {
        return blocking(() -> {
            KeyValueEntry entry = nats.bucket().get(NatsSubjects.token(topic));
            ObjectNode members = parse(entry);
            List<String> users = new ArrayList<>();
            long now = System.currentTimeMillis();
            members.fields().forEachRemaining(e -> {
                if (e.getValue().path(0).asLong() > now) {
                    users.add(e.getValue().path(1).asText());
                }
            });
            return users;
        });
    }

    /**
     * Applies {@code update} to the topic's members (it returns null when nothing changed) with
     * compare-and-set, then announces the users who joined or left.
     */
    private Uni<Void> change(Topic topic, Function<ObjectNode, ObjectNode> update) {
        return blocking(() -> {
            KeyValue kv = nats.bucket();
            String key = NatsSubjects.token(topic);
            for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
                KeyValueEntry entry = kv.get(key);
                ObjectNode members = parse(entry);
                Set<String> before = users(members);
                ObjectNode after = update.apply(members.deepCopy());
                if (after == null) {
                    return null;
                }
                byte[] value = JSON.writeValueAsBytes(after);
                long revision = entry == null ? 0 : entry.getRevision();
                if (KeyValueSwap.swap(nats.readyJetStream(), nats.settings().bucket(), key, value, revision, "") < 0) {
                    continue; // another node changed the topic's members first: start over from theirs
                }
                Set<String> now = users(after);
                for (String user : before) {
                    if (!now.contains(user)) {
                        announce(topic, "herald.leave", user);
                    }
                }
                for (String user : now) {
                    if (!before.contains(user)) {
                        announce(topic, "herald.join", user);
                    }
                }
                return null;
            }
            throw new BrokerUnavailableException("presence of " + topic + " changed too often; retry later");
        });
    }

    private void announce(Topic topic, String type, String user) {
        var conn = nats.current();
        if (conn != null) {
            conn.publish(subjects.presence(topic), new Headers().put(StoredEvent.TYPE, type),
                    PresenceStore.userJson(user).getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * The users of every member in the entry, expired or not: an expired member still in the entry was
     * never announced as gone, so its user leaves (is announced) when a refresh sweeps it out.
     */
    private static Set<String> users(ObjectNode members) {
        Set<String> users = new HashSet<>();
        members.fields().forEachRemaining(e -> users.add(e.getValue().path(1).asText()));
        return users;
    }

    private static ObjectNode parse(KeyValueEntry entry) throws IOException {
        if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
            return JSON.createObjectNode();
        }
        JsonNode node = JSON.readTree(entry.getValue());
        return node instanceof ObjectNode object ? object : JSON.createObjectNode();
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private <T> Uni<T> blocking(Call<T> call) {
        return Uni.createFrom().<T>emitter(emitter -> nats.blocking().execute(() -> {
            try {
                emitter.complete(call.run());
            } catch (BrokerUnavailableException e) {
                emitter.fail(e);
            } catch (Exception e) {
                emitter.fail(NatsConnection.unavailable(e));
            }
        }));
    }
}
