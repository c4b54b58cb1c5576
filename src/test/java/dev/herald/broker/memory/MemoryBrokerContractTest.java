package dev.herald.broker.memory;

import dev.herald.broker.Broker;
import dev.herald.broker.BrokerContractTest;
import java.util.Collections;
import java.util.List;

/** The broker contract against the in-memory broker: n nodes are one broker. */
class MemoryBrokerContractTest extends BrokerContractTest {

    @Override
    protected List<Broker> brokers(int n) {
        return Collections.nCopies(n, new MemoryBroker(retention()));
    }
}
