package dev.herald.transport.ws;

import dev.herald.config.HeraldConfig;
import dev.herald.metrics.HeraldMetrics;
import dev.herald.ops.ConnectionLimits;
import dev.herald.ops.Drain;
import dev.herald.presence.PresenceTracker;
import dev.herald.publish.Publisher;
import dev.herald.transport.Admission;

/** What a WebSocket session works with, built once by {@link EventsWebSocket} and handed to each session. */
record WsServices(Admission admission, Publisher publisher, ConnectionLimits limits, PresenceTracker presence,
                  Drain drain, HeraldMetrics metrics, HeraldConfig.Ws settings, int maxTopics, WsRequest.Parser parser,
                  WsJobs jobs) {
}
