package dev.mai.operator.openrouter;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An OpenRouter key (a client key or a management key). Holds the plaintext, which leaves this
 * object only through {@link #reveal()}; {@link #toString()} never shows it, so a key passed to a
 * logger, an exception or a debugger's summary stays secret.
 */
public final class ApiKey {

    /** The shape of every OpenRouter key, client or management. */
    public static final Pattern SHAPE = Pattern.compile("sk-or-v1-[0-9a-f]{64}");

    private final String value;

    private ApiKey(String value) {
        this.value = value;
    }

    /** Wraps a key value; blank values are refused. */
    public static ApiKey of(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("empty key");
        }
        return new ApiKey(value.strip());
    }

    /** The plaintext, for the one place that needs it: an Authorization header or the Secret's data. */
    public String reveal() {
        return value;
    }

    /** Removes anything shaped like an OpenRouter key from a text that may be shown to people. */
    public static String scrub(String text) {
        return text == null ? null : SHAPE.matcher(text).replaceAll("sk-or-v1-***");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKey k && k.value.equals(value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value);
    }

    @Override
    public String toString() {
        return "ApiKey[***]";
    }
}
