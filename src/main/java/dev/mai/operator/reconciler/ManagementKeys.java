package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.ManagementKeyFile;
import dev.mai.operator.openrouter.ApiKey;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Which management key a MaiClient uses: the one in its
 * {@code provisioningKeySecretRef} Secret, or the operator-wide key — from the file named by
 * MAI_PROVISIONING_KEY_FILE (re-read when it changes, so a rotated Kubernetes Secret mount takes
 * effect without a restart), else MAI_PROVISIONING_KEY — for namespaces MAI_DEFAULT_KEY_NAMESPACES
 * allows. While a MaiClient uses a key Secret, it holds a finalizer on that Secret, so that deleting
 * the namespace cannot take the key away before the MaiClient's cleanup used it.
 */
@ApplicationScoped
public class ManagementKeys {

    /** Name of the informer on labelled management-key Secrets. */
    public static final String KEY_SECRETS = "provisioning-keys";
    /** Name of the informer on the namespaces MAI_DEFAULT_KEY_NAMESPACES selects. */
    public static final String DEFAULT_KEY_NAMESPACES = "default-key-namespaces";

    private final MaiConfig config;
    private final ManagementKeyFile operatorWide;

    /** The key to use, and the Secret it came from (null for the operator-wide key); or why there is none. */
    public record Resolution(ApiKey key, Secret secret, String missing) {
        static Resolution found(ApiKey key, Secret secret) {
            return new Resolution(key, secret, null);
        }

        static Resolution missing(String why) {
            return new Resolution(null, null, why);
        }

        public boolean isMissing() {
            return key == null;
        }
    }

    public ManagementKeys(MaiConfig config) {
        this.config = config;
        this.operatorWide = new ManagementKeyFile(config.provisioningKeyFile(), config.provisioningKey());
    }

    /** The management key the spec asks for. Reads caches only, except to explain a missing Secret. */
    public Resolution resolve(MaiClient client, Context<MaiClient> context) {
        return resolve(client, client.getSpec().getProvisioningKeySecretRef(), context);
    }

    /** The management key from {@code ref} (a Secret in the MaiClient's namespace), or the operator-wide key when null. */
    public Resolution resolve(MaiClient client, ProvisioningKeyRef ref, Context<MaiClient> context) {
        String namespace = client.getMetadata().getNamespace();
        if (ref != null) {
            String where = "Secret " + namespace + "/" + ref.getName() + " (spec.provisioningKeySecretRef)";
            Optional<Secret> secret = informer(context, KEY_SECRETS, Secret.class).get(new ResourceID(ref.getName(), namespace));
            if (secret.isEmpty()) {
                boolean exists = context.getClient().secrets().inNamespace(namespace).withName(ref.getName()).get() != null;
                return Resolution.missing(exists ? where + " is not labelled " + Labels.PROVISIONING_KEY + ": \"true\""
                        : where + " does not exist");
            }
            return fromSecret(secret.get(), ref).map(k -> Resolution.found(k, secret.get()))
                    .orElse(Resolution.missing(where + " has no value under key " + ref.getKey()));
        }
        if (config.defaultKeyNamespaces().isPresent()
                && informer(context, DEFAULT_KEY_NAMESPACES, Namespace.class).get(new ResourceID(namespace)).isEmpty()) {
            return Resolution.missing("Namespace " + namespace + " may not use the operator-wide management key "
                    + "(MAI_DEFAULT_KEY_NAMESPACES=" + config.defaultKeyNamespaces().get() + "); set spec.provisioningKeySecretRef");
        }
        return operatorWide().map(k -> Resolution.found(k, null)).orElse(Resolution.missing(
                "No management key: set MAI_PROVISIONING_KEY_FILE (or MAI_PROVISIONING_KEY) on the operator"));
    }

    /** The management key stored in {@code secret} under {@code ref.key}, if any. */
    static Optional<ApiKey> fromSecret(Secret secret, ProvisioningKeyRef ref) {
        return Optional.ofNullable(secret.getData()).map(d -> d.get(ref.getKey()))
                .map(v -> new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8).strip())
                .filter(v -> !v.isEmpty()).map(ApiKey::of);
    }

    /**
     * Holds this MaiClient's finalizer on the management-key Secret it uses (a write only the first
     * time). One finalizer per MaiClient: each removes only its own, so MaiClients finishing their
     * cleanup at the same moment (a namespace being deleted) cannot leave the Secret stuck.
     */
    public void hold(Context<MaiClient> context, MaiClient user, Secret secret) {
        String finalizer = finalizer(user);
        if (secret.getMetadata().getFinalizers() == null || !secret.getMetadata().getFinalizers().contains(finalizer)) {
            editFinalizers(context, secret.getMetadata().getNamespace(), secret.getMetadata().getName(), f -> {
                if (!f.contains(finalizer)) {
                    f.add(finalizer);
                }
            });
        }
    }

    /** Removes this MaiClient's finalizer from the management-key Secret {@code name}, if it holds one. */
    public void release(Context<MaiClient> context, MaiClient user, String name) {
        String namespace = user.getMetadata().getNamespace();
        Secret secret = context.getClient().secrets().inNamespace(namespace).withName(name).get();
        if (secret != null && secret.getMetadata().getFinalizers() != null
                && secret.getMetadata().getFinalizers().contains(finalizer(user))) {
            editFinalizers(context, namespace, name, f -> f.remove(finalizer(user)));
        }
    }

    /** {@code mai.dev/key-user-<MaiClient UID>}. */
    static String finalizer(MaiClient user) {
        return Labels.PROVISIONING_KEY_FINALIZER_PREFIX + user.getMetadata().getUid();
    }

    private static void editFinalizers(Context<MaiClient> context, String namespace, String name,
            java.util.function.Consumer<List<String>> change) {
        context.getClient().secrets().inNamespace(namespace).withName(name).edit(s -> {
            List<String> finalizers = new ArrayList<>(Optional.ofNullable(s.getMetadata().getFinalizers()).orElse(List.of()));
            change.accept(finalizers);
            s.getMetadata().setFinalizers(finalizers);
            return s;
        });
    }

    /** The operator-wide key, or empty when none is configured (or the file is empty or missing). */
    public Optional<ApiKey> operatorWide() {
        return operatorWide.get();
    }

    @SuppressWarnings("unchecked")
    static <R extends io.fabric8.kubernetes.api.model.HasMetadata> InformerEventSource<R, MaiClient> informer(
            Context<MaiClient> context, String name, Class<R> type) {
        return (InformerEventSource<R, MaiClient>) context.eventSourceRetriever().getEventSourceFor(type, name);
    }
}
