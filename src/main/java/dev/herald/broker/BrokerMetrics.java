package dev.herald.broker;

/** What a broker reports about itself; implemented by the node's metrics. */
public interface BrokerMetrics {

    /** The broker's live connection came back after a loss. */
    void brokerReconnected(String broker);

    /** Events recovered from history after a reconnect and handed to the listener. */
    void gapFilled(String broker, int events);

    /** One command to the backend finished (successfully or not) after {@code nanos}. */
    void brokerCommand(String broker, String command, long nanos);

    /** A publish was sent to the backend and not answered in time: it may or may not be stored. */
    default void publishOutcomeUnknown(String broker) {
    }

    BrokerMetrics NONE = new BrokerMetrics() {
        @Override
        public void brokerReconnected(String broker) {
        }

        @Override
        public void gapFilled(String broker, int events) {
        }

        @Override
        public void brokerCommand(String broker, String command, long nanos) {
        }
    };
}
