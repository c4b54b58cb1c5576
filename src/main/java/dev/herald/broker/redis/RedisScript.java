package dev.herald.broker.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script shipped as a resource, called by SHA with a fallback to its text. A script may be composed
 * of fragments (Lua that defines functions, such as {@code append.lua}) followed by its own body: Redis
 * sees one script, whose SHA is that of the whole text.
 */
public record RedisScript(String name, String text, String sha) {

    /** The append of an event to a topic, shared by publish.lua and the job store's transitions. */
    static final RedisScript APPEND = load("append.lua");

    public RedisScript(String name, String text) {
        this(name, text, sha1(text));
    }

    /** A script beside this class. */
    static RedisScript load(String name) {
        return load(RedisScript.class, name);
    }

    /** A script beside {@code owner} (the jobs' Redis store keeps its script in its own package). */
    public static RedisScript load(Class<?> owner, String name) {
        try (InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + name);
            }
            return new RedisScript(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This script with {@code fragments} before it, in order; named (and timed) as this script. */
    private RedisScript after(RedisScript... fragments) {
        StringBuilder b = new StringBuilder();
        for (RedisScript fragment : fragments) {
            b.append(fragment.text()).append('\n');
        }
        return new RedisScript(name, b.append(text).toString());
    }

    /** This script after {@code append.lua}, which defines {@code herald_append} (see there). */
    public RedisScript afterAppend(RedisScript... fragments) {
        RedisScript[] all = new RedisScript[fragments.length + 1];
        all[0] = APPEND;
        System.arraycopy(fragments, 0, all, 1, fragments.length);
        return after(all);
    }

    private static String sha1(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
