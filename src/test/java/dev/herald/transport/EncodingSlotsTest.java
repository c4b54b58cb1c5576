package dev.herald.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.event.Event;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every wire format caches its encoding of an event in a slot of the event: two formats in one slot
 * would hand SSE bytes to a WebSocket (or a cursor to an SSE connection). Checks the formats Herald
 * declares, wherever they are declared.
 */
class EncodingSlotsTest {

    private static final List<String> DECLARING = List.of("dev.herald.hub.Subscription",
            "dev.herald.transport.sse.SseFrames", "dev.herald.transport.ws.WsFrames");

    @Test
    void noTwoWireFormatsShareASlot() throws Exception {
        Map<Integer, String> bySlot = new HashMap<>();
        List<String> clashes = new ArrayList<>();
        int formats = 0;
        for (String name : DECLARING) {
            for (Field field : Class.forName(name).getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == Event.Encoding.class) {
                    field.setAccessible(true);
                    Event.Encoding<?> encoding = (Event.Encoding<?>) field.get(null);
                    String where = name + "." + field.getName();
                    String before = bySlot.putIfAbsent(encoding.slot(), where);
                    if (before != null) {
                        clashes.add(where + " and " + before + " share slot " + encoding.slot());
                    }
                    formats++;
                }
            }
        }
        assertTrue(formats >= 8, "found only " + formats + " formats: were some moved?");
        assertEquals(List.of(), clashes);
    }
}
