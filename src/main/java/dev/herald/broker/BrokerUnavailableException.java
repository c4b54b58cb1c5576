package dev.herald.broker;

/** The broker cannot take or serve events right now (closed, or its backend is unreachable). */
public class BrokerUnavailableException extends RuntimeException {

    public BrokerUnavailableException(String message) {
        super(message);
    }

    public BrokerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
