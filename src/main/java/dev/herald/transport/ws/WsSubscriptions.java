package dev.herald.transport.ws;

import dev.herald.api.ErrorCode;
import dev.herald.auth.Principal;
import dev.herald.event.Topic;
import dev.herald.hub.Hub;
import dev.herald.hub.Subscription;
import dev.herald.presence.PresenceTracker;
import dev.herald.transport.Admission;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A WebSocket connection's subscriptions: one per {@code subscribe}, each with its own cursor; a topic
 * is in at most one. Opens them through the connection kernel ({@link Admission#open}), keeps the
 * connection's presence memberships, and splits a subscription when some of its topics are
 * unsubscribed. Connection thread only.
 */
final class WsSubscriptions {

    private final WsSession session;
    private final Admission admission;
    private final PresenceTracker presence;
    private final int maxTopics;
    private final String member;
    private final Map<Topic, WsSubscription> byTopic = new HashMap<>();
    private final Set<Topic> presenceTopics = new LinkedHashSet<>();
    private int opening;

    WsSubscriptions(WsSession session, Admission admission, PresenceTracker presence, int maxTopics, String member) {
        this.session = session;
        this.admission = admission;
        this.presence = presence;
        this.maxTopics = maxTopics;
        this.member = member;
    }

    /** The topics subscribed (or being subscribed) on this connection. */
    Collection<Topic> topics() {
        return byTopic.keySet();
    }

    void subscribe(WsRequest.Subscribe request, Principal principal) {
        if (opening >= WsLimits.MAX_OPENING) {
            session.send(WsFrames.error(ErrorCode.RATE_LIMITED, "at most " + WsLimits.MAX_OPENING
                    + " subscriptions may be opening at once; wait for 'subscribed'", request.ref()));
            return;
        }
        for (Topic topic : request.topics()) {
            if (byTopic.containsKey(topic)) {
                session.protocolError("already subscribed to '" + topic + "' on this connection", request.ref());
                return;
            }
        }
        if (byTopic.size() + request.topics().size() > maxTopics) {
            session.protocolError("a connection subscribes to at most " + maxTopics + " topics", request.ref());
            return;
        }
        try {
            admission.authorize(principal, request.topics());
        } catch (RuntimeException e) {
            session.sendError(e, request.ref());
            return;
        }
        session.subscribing();
        if (request.presence()) {
            for (Topic topic : request.topics()) {
                if (!presence.tracks(topic)) {
                    session.protocolError("presence is not tracked for '" + topic + "' (herald.presence.topics)",
                            request.ref());
                    return;
                }
            }
        }
        open(principal, request.topics(), request.cursor(), request.presence(), request.ref(), true);
    }

    /**
     * Opens a subscription and answers {@code subscribed} with {@code ref}; or, without {@code reply},
     * the rest of a split subscription, which is reopened silently.
     */
    private void open(Principal principal, List<Topic> topics, String cursor, boolean wantsPresence, String ref,
                      boolean reply) {
        WsSubscription sub = new WsSubscription(session, topics, cursor, wantsPresence);
        topics.forEach(t -> byTopic.put(t, sub));
        opening++;
        if (wantsPresence) {
            topics.forEach(presence::watch);
        }
        admission.open(principal, topics, cursor, sub, wantsPresence ? Hub.Options.WITH_PRESENCE : Hub.Options.STREAM)
                .subscribe().with(
                        subscription -> session.onContext(() -> {
                            opening--;
                            opened(principal, sub, subscription, ref, reply);
                        }),
                        failure -> session.onContext(() -> {
                            opening--;
                            release(sub);
                            if (session.closing()) {
                                return;
                            }
                            if (reply) {
                                session.sendError(failure, ref);
                            } else {
                                // The rest of a subscription could not be reopened after a partial
                                // unsubscribe: the client resumes it from its own cursor.
                                session.close(ErrorCode.SLOW_CONSUMER,
                                        "could not keep the remaining topics; reconnect with your cursor");
                            }
                        }));
    }

    private void opened(Principal principal, WsSubscription sub, Subscription subscription, String ref,
                        boolean reply) {
        if (session.closing() || sub.cancelled) {
            admission.close(subscription);
            return;
        }
        if (reply) {
            session.send(WsFrames.subscribed(names(sub.topics), subscription.initialCursor(), ref));
        }
        if (principal.subject() != null) {
            for (Topic topic : sub.topics) {
                if (presence.tracks(topic) && presenceTopics.add(topic)) {
                    presence.join(topic, member, principal.subject());
                }
            }
        }
        sub.start(subscription);
    }

    void unsubscribe(WsRequest.Unsubscribe request, Principal principal) {
        Set<WsSubscription> affected = new LinkedHashSet<>();
        for (Topic topic : request.topics()) {
            WsSubscription sub = byTopic.get(topic);
            if (sub == null) {
                session.protocolError("not subscribed to '" + topic + "'", request.ref());
                return;
            }
            affected.add(sub);
        }
        for (WsSubscription sub : affected) {
            List<Topic> remaining = new ArrayList<>(sub.topics);
            remaining.removeAll(request.topics());
            if (!remaining.isEmpty() && !sub.drained()) {
                // Its position is only exact once everything queued is written (a queued herald.reset
                // has already moved it): the client resumes the rest from its own cursor instead.
                session.close(ErrorCode.SLOW_CONSUMER,
                        "unsubscribed while deliveries were queued; reconnect with your cursor");
                return;
            }
            String cursor = sub.position();
            release(sub);
            if (!remaining.isEmpty()) {
                // The rest of a multi-topic subscription goes on from where it was: replayed from its
                // cursor, so nothing queued for it is lost.
                open(principal, remaining, cursor, sub.wantsPresence, null, false);
            }
        }
        for (Topic topic : request.topics()) {
            if (presenceTopics.remove(topic)) {
                presence.leave(topic, member);
            }
        }
        session.send(WsFrames.unsubscribed(names(request.topics()), request.ref()));
    }

    /** Ends a subscription (or one still opening) and frees its topics. */
    private void release(WsSubscription sub) {
        if (sub.cancelled) {
            return;
        }
        if (sub.wantsPresence) {
            sub.topics.forEach(presence::unwatch);
        }
        sub.cancelled = true;
        sub.topics.forEach(t -> byTopic.remove(t, sub));
        if (sub.subscription != null) {
            admission.close(sub.subscription);
        }
    }

    /** The subscriptions held back by backpressure drain again. */
    void drainAll() {
        distinct().forEach(WsSubscription::drain);
    }

    /** Ends every subscription and leaves every presence topic (the connection is closing). */
    void releaseAll() {
        distinct().forEach(this::release);
        presenceTopics.forEach(topic -> presence.leave(topic, member));
        presenceTopics.clear();
    }

    private List<WsSubscription> distinct() {
        return new ArrayList<>(byTopic.values()).stream().distinct().toList();
    }

    private static List<String> names(List<Topic> topics) {
        return topics.stream().map(Topic::name).toList();
    }
}
