package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.SecretSpec;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.KeyDigest;
import dev.mai.operator.core.Names;
import dev.mai.operator.core.Owners;
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

    private EnvSecret() {
    }

    /** The Secret as it should be; {@code digestKey} keys its {@code mai.dev/key-digest} ({@link KeyDigest}). */
    public static Secret desired(MaiClient client, Environment.Inputs in, byte[] digestKey) {
        var spec = client.getSpec();
        Map<String, String> variables = Environment.variables(spec, in);
        Map<String, String> data = new LinkedHashMap<>();
        variables.forEach((k, v) -> data.put(k, base64(v)));
        data.put(Environment.DOTENV, base64(Environment.dotenv("mai-operator for " + client.getMetadata().getNamespace() + "/"
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
        annotations.put(Labels.ENV_REVISION, Environment.revision(variables));
        String fromSpec = specMetadata(secretSpec);
        if (!fromSpec.isEmpty()) {
            annotations.put(Labels.SPEC_METADATA, fromSpec);
        }
        boolean retain = Owners.retains(client);
        if (retain) {
            annotations.put(Labels.CLIENT_UID, client.getMetadata().getUid());
        }

        return new SecretBuilder()
                .withNewMetadata()
                .withName(Names.secretName(client))
                .withNamespace(client.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(retain ? List.of() : List.of(Owners.ownerReference(client)))
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
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
                .map(d -> d.get(Environment.API_KEY))
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
