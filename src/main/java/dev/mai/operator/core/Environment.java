package dev.mai.operator.core;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.openrouter.ApiKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The client's environment: the six variables the mAI application reads, their {@code .env}
 * rendering and the revision that names a set of values. Both front ends write it alike: the
 * operator into the client's Secret, the {@code mai-env} command into a file.
 */
public final class Environment {

    public static final String API_KEY = "OPENROUTER_API_KEY";
    public static final String HOST = "OPENROUTER_HOST";
    public static final String EXTERNAL_USER = "OPENROUTER_EXTERNAL_USER";
    public static final String ORGANIZATION_NAME = "ORGANIZATION_NAME";
    public static final String SPENDING_LIMIT = "SPENDING_LIMIT";
    public static final String KEY_HASH = "OPENROUTER_KEY_HASH";
    public static final String DOTENV = ".env";
    /** The variables, in the order the {@code .env} file lists them. */
    public static final List<String> VARIABLES = List.of(API_KEY, HOST, EXTERNAL_USER, ORGANIZATION_NAME, SPENDING_LIMIT, KEY_HASH);

    /** Everything the Secret holds besides the spec: the key and what is known about it. */
    public record Inputs(ApiKey key, String keyHash, String keyCreatedAt, String externalUser, String openrouterHost) {
    }

    private Environment() {
    }

    /**
     * The {@code .env} file: a comment header saying who wrote it ({@code writer}), for which
     * organization, limit and key, then the six variables. The operator's Secret and the mai-env
     * command write it alike.
     */
    public static String dotenv(String writer, MaiClientSpec spec, Inputs in) {
        return DotEnv.render(header(writer, spec, in), variables(spec, in));
    }

    /** The six variables, in the order the {@code .env} file lists them. */
    public static Map<String, String> variables(MaiClientSpec spec, Inputs in) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put(API_KEY, in.key().reveal());
        v.put(HOST, in.openrouterHost());
        v.put(EXTERNAL_USER, in.externalUser());
        v.put(ORGANIZATION_NAME, spec.getOrganizationName());
        v.put(SPENDING_LIMIT, Money.format(Money.limit(spec.getSpendingLimit())));
        v.put(KEY_HASH, in.keyHash());
        return v;
    }

    private static List<String> header(String writer, MaiClientSpec spec, Inputs in) {
        List<String> lines = new ArrayList<>();
        lines.add("mAI client environment, written by " + writer + "; edits are overwritten");
        lines.add("Organization: " + spec.getOrganizationName());
        lines.add("Spending limit: " + Money.format(Money.limit(spec.getSpendingLimit()))
                + (Money.limit(spec.getSpendingLimit()).isPresent() ? " USD" : "")
                + (spec.getLimitReset() == null ? "" : ", resets " + spec.getLimitReset()));
        lines.add("Key created: " + Optional.ofNullable(in.keyCreatedAt()).orElse("unknown"));
        return lines;
    }

    /**
     * The environment's revision: a digest of every variable except the key itself (the key's
     * OpenRouter hash stands for it), so the value is stable across restarts and reveals nothing.
     */
    public static String revision(Map<String, String> variables) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            variables.entrySet().stream()
                    .filter(e -> !API_KEY.equals(e.getKey()))
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> sha.update((e.getKey() + "=" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
