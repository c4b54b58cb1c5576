package dev.herald.api;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * An RFC 9457 problem detail, the body of every error ({@code application/problem+json}).
 * {@code detail} is written for the client and never echoes a token.
 */
@RegisterForReflection
public record Problem(String type, String title, int status, String detail) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem("urn:herald:problem:" + slug, title, status, detail);
    }
}
