package dev.herald.broker.nats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Reading a consumed message's stream sequence and pending count from its reply subject. */
class HistoryReplayTest {

    @Test
    void readsTheV1ReplySubjectOfNats29() {
        assertArrayEquals(new long[] {1234, 0},
                HistoryReplay.position("$JS.ACK.HERALD.abc123.1.1234.7.1733530000000000000.0"));
        assertArrayEquals(new long[] {5, 498},
                HistoryReplay.position("$JS.ACK.HERALD.abc123.1.5.1.1733530000000000000.498"));
    }

    @Test
    void readsTheV2ReplySubjectWithDomainAndAccountHash() {
        assertArrayEquals(new long[] {987654321012L, 3},
                HistoryReplay.position("$JS.ACK.hub.ACCHASH.HERALD.c1.2.987654321012.40.1733530000000000000.3.tok"));
    }

    @Test
    void refusesWhatIsNotAnAckSubject() {
        assertNull(HistoryReplay.position(null));
        assertNull(HistoryReplay.position("_INBOX.abc.1"));
        assertNull(HistoryReplay.position("$JS.ACK.HERALD.c.1.2.3"));
        assertNull(HistoryReplay.position("$JS.ACK.HERALD.c.1.x12.7.1733530000000000000.0"));
        assertNull(HistoryReplay.position("$JS.ACK.HERALD.c.1..7.1733530000000000000.0"));
        assertNull(HistoryReplay.position("$JS.ACK.HERALD.c.1.12.7.1733530000000000000.-1"));
        assertNull(HistoryReplay.position("$JS.ACK.HERALD.c.1.1234567890123456789.7.17.0"));
    }
}
