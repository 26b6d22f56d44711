package dev.mai.operator.core;

import dev.mai.operator.api.v1alpha1.MaiClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names the operator derives: the output Secret's, the default external user, and the OpenRouter
 * key name with its machine-readable suffix.
 *
 * <p>A key name is {@code mAI Client: <organization> (<namespace>/<name>) [mai:<installation>:<uid>]}.
 * Only the trailing bracket is ever parsed, with a pattern anchored at the end; the organization
 * has its square brackets stripped, so no organization name can forge or hide a suffix. A retained
 * key (deletionPolicy Retain) ends in {@code :retained]}, which sweeps skip.
 */
public final class Names {

    /** OpenRouter key names the operator writes stay within this many characters (code points). */
    public static final int MAX_KEY_NAME = 200;
    public static final int MAX_ORGANIZATION_IN_NAME = 80;
    public static final String KEY_NAME_PREFIX = "mAI Client: ";

    /**
     * The installation id of keys the mai-env command creates for Docker Compose users: no operator
     * may use it (InstallationId refuses it), so no operator ever takes such a key for one of its own.
     */
    public static final String ENV_INSTALLATION = "mai-env";
    /** What an installation id may look like: it goes into every key name. */
    public static final Pattern INSTALLATION_ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");
    private static final Pattern SUFFIX = Pattern.compile(
            " \\[mai:(" + INSTALLATION_ID.pattern() + "):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(:retained)?]$");

    /** The reference in parentheses right before the suffix: {@code (<namespace>/<name>)}, perhaps shortened. */
    private static final Pattern REFERENCE = Pattern.compile("\\(([^()]*)\\)" + SUFFIX.pattern());

    /** The parsed suffix of a key name: which installation and MaiClient (by UID) the key belongs to. */
    public record KeyOwner(String installationId, String uid, boolean retained) {
    }

    private Names() {
    }

    /** {@code spec.secret.name}, or {@code <metadata.name>-env}. */
    public static String secretName(MaiClient client) {
        var secret = client.getSpec() == null ? null : client.getSpec().getSecret();
        if (secret != null && secret.getName() != null) {
            return secret.getName();
        }
        return client.getMetadata().getName() + "-env";
    }

    /** The old script's default: {@code mai_client_} + the first 8 hex characters of MD5(organization, UTF-8). */
    public static String defaultExternalUser(String organizationName) {
        try {
            byte[] md5 = MessageDigest.getInstance("MD5").digest(organizationName.getBytes(StandardCharsets.UTF_8));
            return "mai_client_" + HexFormat.of().formatHex(md5).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every JVM", e);
        }
    }

    /** The key name for a MaiClient: readable label, people's reference, machine-readable suffix. */
    public static String keyName(MaiClient client, String installationId, boolean retained) {
        return keyName(client.getSpec().getOrganizationName(),
                client.getMetadata().getNamespace() + "/" + client.getMetadata().getName(),
                installationId, client.getMetadata().getUid(), retained);
    }

    /**
     * A key name: {@code mAI Client: <organization> (<reference>) [mai:<installation>:<uid>]}, the
     * reference (for people) shortened to keep the whole within {@link #MAX_KEY_NAME}. {@code uid} is a
     * UUID: the MaiClient's, or the id of a {@code .env} the mai-env command keeps.
     */
    public static String keyName(String organizationName, String reference, String installationId, String uid, boolean retained) {
        String organization = organizationName.replace("[", "").replace("]", "").strip();
        String label = KEY_NAME_PREFIX + cut(organization, MAX_ORGANIZATION_IN_NAME).strip();
        String suffix = " [mai:" + installationId + ":" + uid + (retained ? ":retained" : "") + "]";
        reference = reference.replace("[", "").replace("]", "");
        int room = MAX_KEY_NAME - length(label) - length(suffix) - " ()".length();
        if (length(reference) > room) {
            reference = cut(reference, Math.max(0, room - 3)) + "...";
        }
        return label + " (" + reference + ")" + suffix;
    }

    /** The owner a key name declares, or empty when it carries no suffix of this operator. */
    public static Optional<KeyOwner> keyOwner(String keyName) {
        if (keyName == null) {
            return Optional.empty();
        }
        Matcher m = SUFFIX.matcher(keyName);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new KeyOwner(m.group(1), m.group(3), m.group(4) != null));
    }

    /**
     * The namespace a key name's reference names, or empty when the name has no reference or was shortened
     * into its namespace (only the end of a long reference is cut, so a namespace followed by {@code /} is whole).
     */
    public static Optional<String> keyNamespace(String keyName) {
        if (keyName == null) {
            return Optional.empty();
        }
        Matcher m = REFERENCE.matcher(keyName);
        if (!m.find()) {
            return Optional.empty();
        }
        int slash = m.group(1).indexOf('/');
        return slash > 0 ? Optional.of(m.group(1).substring(0, slash)) : Optional.empty();
    }

    /**
     * The name of a key kept past its MaiClient: the same readable part, with the suffix replaced by
     * one carrying the retained marker. Works from the key's current name, so no spec is needed.
     */
    public static String retainedKeyName(String currentName, String installationId, String uid) {
        String base = currentName == null ? KEY_NAME_PREFIX.strip() : currentName;
        Matcher m = SUFFIX.matcher(base);
        if (m.find()) {
            base = base.substring(0, m.start());
        }
        String suffix = " [mai:" + installationId + ":" + uid + ":retained]";
        return cut(base, MAX_KEY_NAME - length(suffix)) + suffix;
    }

    private static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    private static String cut(String s, int codePoints) {
        if (length(s) <= codePoints) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, codePoints));
    }
}
