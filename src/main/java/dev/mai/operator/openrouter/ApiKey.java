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

    /**
     * {@link #scrub(String)}, and also every longer-than-8-character {@code secret} given, as it is and
     * in standard and URL-safe base64 (each alignment it can have inside a longer encoded value: the
     * characters that depend on its neighbours left out), for texts that may quote a Secret's data.
     */
    public static String scrub(String text, java.util.Collection<String> secrets) {
        String out = scrub(text);
        if (out == null) {
            return null;
        }
        for (String secret : secrets) {
            if (secret == null || secret.length() < 9) {
                continue;
            }
            out = out.replace(secret, "***");
            for (int shift = 0; shift < 3; shift++) {
                byte[] bytes = ("\0\0".substring(0, shift) + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (java.util.Base64.Encoder encoder : java.util.List.of(java.util.Base64.getEncoder(), java.util.Base64.getUrlEncoder())) {
                    String encoded = encoder.encodeToString(bytes);
                    out = out.replace(encoded.substring(4, encoded.length() - 4), "***");
                }
            }
        }
        return out;
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
