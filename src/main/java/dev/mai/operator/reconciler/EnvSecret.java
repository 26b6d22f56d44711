package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.SecretSpec;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The client's environment Secret, built from the spec and the key. Pure: the
 * same inputs give the same Secret, so the reconciler can compare it with what is stored and write
 * only when they differ.
 */
public final class EnvSecret {

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

    private EnvSecret() {
    }

    /** The Secret as it should be; {@code digestKey} keys its {@code mai.dev/key-digest} ({@link KeyDigest}). */
    public static Secret desired(MaiClient client, Inputs in, byte[] digestKey) {
        var spec = client.getSpec();
        Map<String, String> variables = variables(spec, in);
        Map<String, String> data = new LinkedHashMap<>();
        variables.forEach((k, v) -> data.put(k, base64(v)));
        data.put(DOTENV, base64(dotenv("mai-operator for " + client.getMetadata().getNamespace() + "/"
                + client.getMetadata().getName(), spec, in)));

        Map<String, String> labels = new HashMap<>();
        SecretSpec secretSpec = spec.getSecret();
        if (secretSpec != null && secretSpec.getLabels() != null) {
            labels.putAll(secretSpec.getLabels());
        }
        labels.putAll(Labels.child(client.getMetadata().getName()));
        Map<String, String> annotations = new HashMap<>();
        if (secretSpec != null && secretSpec.getAnnotations() != null) {
            annotations.putAll(secretSpec.getAnnotations());
        }
        annotations.put(Labels.KEY_HASH, in.keyHash());
        annotations.put(Labels.KEY_DIGEST, KeyDigest.of(digestKey, client.getMetadata().getUid(), in.keyHash(), in.key()));
        annotations.put(Labels.ENV_REVISION, revision(variables));
        String fromSpec = specMetadata(secretSpec);
        if (!fromSpec.isEmpty()) {
            annotations.put(Labels.SPEC_METADATA, fromSpec);
        }
        boolean retain = retains(client);
        if (retain) {
            annotations.put(Labels.CLIENT_UID, client.getMetadata().getUid());
        }

        return new SecretBuilder()
                .withNewMetadata()
                .withName(Names.secretName(client))
                .withNamespace(client.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(retain ? List.of() : List.of(ownerReference(client)))
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
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
    static Map<String, String> variables(MaiClientSpec spec, Inputs in) {
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
     * True unless the deletion policy says Delete (or is absent, the default). An unreadable policy
     * keeps the key: a value nobody meant should never destroy a credential.
     */
    public static boolean retains(MaiClient client) {
        String policy = client.getSpec() == null ? null : client.getSpec().getDeletionPolicy();
        return policy != null && !"Delete".equals(policy);
    }

    /**
     * True when the Secret is this MaiClient's: labelled by this operator for it, and tied to it by UID
     * — a controller owner reference (deletionPolicy Delete) or the client-UID annotation (Retain, no
     * owner reference).
     */
    public static boolean ownedBy(Secret secret, MaiClient client) {
        var meta = secret.getMetadata();
        Map<String, String> labels = Optional.ofNullable(meta.getLabels()).orElse(Map.of());
        String uid = client.getMetadata().getUid();
        return Labels.MANAGED_BY_VALUE.equals(labels.get(Labels.MANAGED_BY))
                && client.getMetadata().getName().equals(labels.get(Labels.CLIENT))
                && (Optional.ofNullable(meta.getOwnerReferences()).orElse(List.of()).stream()
                        .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && uid.equals(o.getUid()))
                        || uid.equals(Optional.ofNullable(meta.getAnnotations()).orElse(Map.of()).get(Labels.CLIENT_UID)));
    }

    /** The controller owner reference to the MaiClient; with it the Secret goes when its MaiClient goes. */
    public static OwnerReference ownerReference(MaiClient client) {
        return new OwnerReferenceBuilder()
                .withApiVersion(client.getApiVersion())
                .withKind(client.getKind())
                .withName(client.getMetadata().getName())
                .withUid(client.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /**
     * The environment's revision: a digest of every variable except the key itself (the key's
     * OpenRouter hash stands for it), so the value is stable across restarts and reveals nothing.
     */
    static String revision(Map<String, String> variables) {
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

    /** {@code labels=a,b;annotations=c}: the keys {@code spec.secret} sets, sorted; empty when none. */
    static String specMetadata(SecretSpec spec) {
        if (spec == null) {
            return "";
        }
        String labels = spec.getLabels() == null ? "" : String.join(",", new TreeSet<>(spec.getLabels().keySet()));
        String annotations = spec.getAnnotations() == null ? "" : String.join(",", new TreeSet<>(spec.getAnnotations().keySet()));
        return labels.isEmpty() && annotations.isEmpty() ? "" : "labels=" + labels + ";annotations=" + annotations;
    }

    private static Set<String> specKeys(Map<String, String> annotations, String kind) {
        String value = annotations == null ? null : annotations.get(Labels.SPEC_METADATA);
        if (value == null) {
            return Set.of();
        }
        for (String part : value.split(";")) {
            if (part.startsWith(kind + "=") && part.length() > kind.length() + 1) {
                return Set.of(part.substring(kind.length() + 1).split(","));
            }
        }
        return Set.of();
    }

    /**
     * Keeps the revision stored on {@code actual} when its data is what {@code desired} holds: the
     * revision changes only with the content, never because a newer operator computes it differently,
     * so an upgrade or restart rolls nothing.
     */
    public static void keepRevision(Secret actual, Secret desired) {
        String stored = actual.getMetadata().getAnnotations() == null ? null : actual.getMetadata().getAnnotations().get(Labels.ENV_REVISION);
        if (stored != null && desired.getData().equals(actual.getData())) {
            desired.getMetadata().getAnnotations().put(Labels.ENV_REVISION, stored);
        }
    }

    /** True when {@code actual} holds what {@code desired} says: data, type, our labels, annotations and owner. */
    public static boolean inSync(Secret actual, Secret desired) {
        var meta = actual.getMetadata();
        String tracked = meta.getAnnotations() == null ? null : meta.getAnnotations().get(Labels.SPEC_METADATA);
        return desired.getData().equals(actual.getData())
                && Objects.equals(tracked, desired.getMetadata().getAnnotations().get(Labels.SPEC_METADATA))
                && "Opaque".equals(actual.getType())
                && containsAll(meta.getLabels(), desired.getMetadata().getLabels())
                && containsAll(meta.getAnnotations(), desired.getMetadata().getAnnotations())
                && ownersAsDesired(actual, desired);
    }

    /**
     * Delete: the controller owner reference is there. Retain: no owner reference to the MaiClient and
     * no client-UID annotation left over from Retain when the policy is Delete again.
     */
    private static boolean ownersAsDesired(Secret actual, Secret desired) {
        List<OwnerReference> owners = Optional.ofNullable(actual.getMetadata().getOwnerReferences()).orElse(List.of());
        String uid = desired.getMetadata().getAnnotations().get(Labels.CLIENT_UID);
        if (uid != null) {
            return owners.stream().noneMatch(o -> uid.equals(o.getUid()));
        }
        boolean leftOver = Optional.ofNullable(actual.getMetadata().getAnnotations()).orElse(Map.of()).containsKey(Labels.CLIENT_UID);
        return !leftOver && owners.contains(desired.getMetadata().getOwnerReferences().get(0));
    }

    /**
     * What to write over {@code actual}: the desired data, labels and annotations, keeping what
     * others added to its metadata and its resourceVersion (the write is optimistic-locked), and
     * dropping labels and annotations an earlier spec set and the current one does not.
     */
    public static Secret merge(Secret actual, Secret desired) {
        Map<String, String> before = actual.getMetadata().getAnnotations();
        Map<String, String> labels = new HashMap<>(Optional.ofNullable(actual.getMetadata().getLabels()).orElse(Map.of()));
        labels.keySet().removeAll(specKeys(before, "labels")); // what the spec no longer sets goes
        labels.putAll(desired.getMetadata().getLabels());
        Map<String, String> annotations = new HashMap<>(Optional.ofNullable(before).orElse(Map.of()));
        annotations.keySet().removeAll(specKeys(before, "annotations"));
        annotations.remove(Labels.SPEC_METADATA);
        annotations.putAll(desired.getMetadata().getAnnotations());
        List<OwnerReference> wanted = desired.getMetadata().getOwnerReferences();
        String uid = wanted.isEmpty() ? desired.getMetadata().getAnnotations().get(Labels.CLIENT_UID) : wanted.get(0).getUid();
        if (!wanted.isEmpty()) {
            annotations.remove(Labels.CLIENT_UID); // Delete again: the owner reference says whose it is
        }
        List<OwnerReference> owners = new ArrayList<>();
        Optional.ofNullable(actual.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
                .filter(o -> !uid.equals(o.getUid()))
                .forEach(owners::add);
        owners.addAll(wanted);
        return new SecretBuilder(actual)
                .editMetadata()
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(owners)
                .endMetadata()
                .withData(desired.getData())
                .withStringData(null)
                .build();
    }

    /**
     * The key a Secret holds and the hash it records, when the digest shows both are as the operator
     * wrote them. {@code legacy}: the digest is of the kind earlier versions wrote, which anyone could
     * compute; such a Secret is a claim to be proven by a fresh read of the key before it is believed.
     */
    public record Stored(String hash, ApiKey key, boolean legacy) {
    }

    /**
     * What a Secret holds, checked against its digest: the recorded hash with the key when they match
     * as written; {@code knownHash} with the key when only that matches (the hash annotation was
     * edited); empty when the key was changed by hand, is missing, or a hash is not an OpenRouter hash.
     */
    public static Optional<Stored> stored(Secret secret, String uid, String knownHash, byte[] digestKey) {
        Optional<ApiKey> key = storedKey(secret);
        Map<String, String> annotations = Optional.ofNullable(secret.getMetadata().getAnnotations()).orElse(Map.of());
        String digest = annotations.get(Labels.KEY_DIGEST);
        if (key.isEmpty() || digest == null) {
            return Optional.empty();
        }
        String recorded = annotations.get(Labels.KEY_HASH);
        for (String hash : new String[] {recorded, knownHash}) {
            if (!KeyInfo.isHash(hash)) {
                continue;
            }
            if (KeyDigest.matches(KeyDigest.of(digestKey, uid, hash, key.get()), digest)) {
                return Optional.of(new Stored(hash, key.get(), false));
            }
            if (KeyDigest.matches(KeyDigest.legacy(uid, hash, key.get()), digest)) {
                return Optional.of(new Stored(hash, key.get(), true));
            }
        }
        return Optional.empty();
    }

    /** The key stored in a Secret, if any. */
    public static Optional<ApiKey> storedKey(Secret secret) {
        return Optional.ofNullable(secret.getData())
                .map(d -> d.get(API_KEY))
                .map(EnvSecret::decode)
                .filter(k -> !k.isBlank())
                .map(ApiKey::of);
    }

    private static boolean containsAll(Map<String, String> actual, Map<String, String> wanted) {
        return actual != null && actual.entrySet().containsAll(wanted.entrySet());
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
