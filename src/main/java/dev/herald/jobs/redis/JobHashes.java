package dev.herald.jobs.redis;

import dev.herald.jobs.JobState;
import dev.herald.jobs.JobStatus;
import dev.herald.jobs.QueueName;
import io.vertx.redis.client.Response;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/** Reading a job's hash as {@code jobs.lua} answers it (HGETALL's field, value, ...; its fields described there). */
final class JobHashes {

    private JobHashes() {
    }

    /** A job's status from its hash (HGETALL: field, value, ...). */
    static JobStatus status(String id, Response hash) {
        String[] f = new String[Field.COUNT];
        for (int i = 0; i + 1 < hash.size(); i += 2) {
            Field field = Field.of(hash.get(i).toString());
            if (field != null) {
                f[field.ordinal()] = hash.get(i + 1).toString();
            }
        }
        return new JobStatus(id, QueueName.of(f[Field.q.ordinal()]), f[Field.t.ordinal()],
                JobState.ofWire(f[Field.s.ordinal()]), num(f, Field.a), num(f, Field.ma), num(f, Field.p),
                text(f, Field.pm), text(f, Field.pd), text(f, Field.r), text(f, Field.er), lnum(f, Field.c),
                lnum(f, Field.u), lnum(f, Field.n), lnum(f, Field.sa), text(f, Field.o), text(f, Field.tp));
    }

    /** The hash fields a status is read from (see jobs.lua). */
    private enum Field {
        q, t, s, a, ma, p, pm, pd, r, er, c, u, n, sa, o, tp;

        static final int COUNT = values().length;
        /** By name; not values(), which copies its array at every call (several statuses per job). */
        private static final Map<String, Field> BY_NAME = Arrays.stream(values())
                .collect(Collectors.toUnmodifiableMap(Field::name, f -> f));

        static Field of(String name) {
            return BY_NAME.get(name);
        }
    }

    private static int num(String[] f, Field field) {
        return (int) lnum(f, field);
    }

    private static long lnum(String[] f, Field field) {
        String v = f[field.ordinal()];
        return v == null || v.isEmpty() ? 0 : (long) Double.parseDouble(v);
    }

    private static String text(String[] f, Field field) {
        String v = f[field.ordinal()];
        return v == null || v.isEmpty() ? null : v;
    }

    /** One field of a job's hash, or null. */
    static String field(Response hash, String name) {
        for (int i = 0; i + 1 < hash.size(); i += 2) {
            if (hash.get(i).toString().equals(name)) {
                return hash.get(i + 1).toString();
            }
        }
        return null;
    }
}
