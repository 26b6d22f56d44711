package dev.mai.operator.ha;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Which installation this operator is: the id every key name it writes carries, so that an
 * operator never revokes another installation's keys. From MAI_INSTALLATION_ID, or else generated
 * once and kept in a ConfigMap in the operator's own namespace. A cluster cloned while the original
 * runs must be given a new id before its operator starts; one restored after the original is gone
 * keeps it (docs/operate.md, "Disaster recovery").
 */
@ApplicationScoped
public class InstallationId {

    public static final String CONFIG_MAP = "mai-operator-installation";
    public static final String DATA_KEY = "installation-id";

    private final MaiConfig config;
    private final KubernetesClient client;
    private volatile String id;

    public InstallationId(MaiConfig config, KubernetesClient client) {
        this.config = config;
        this.client = client;
    }

    /** The id, read or created on first use. */
    public String get() {
        String known = id;
        if (known == null) {
            synchronized (this) {
                if (id == null) {
                    id = resolve();
                }
                known = id;
            }
        }
        return known;
    }

    private String resolve() {
        Optional<String> configured = config.installationId().filter(s -> !s.isBlank());
        if (configured.isPresent()) {
            return checked(configured.get(), "MAI_INSTALLATION_ID");
        }
        String namespace = namespace();
        var resource = client.configMaps().inNamespace(namespace).withName(CONFIG_MAP);
        ConfigMap existing = getOrCreate(client, resource, () -> new ConfigMapBuilder()
                .withNewMetadata().withName(CONFIG_MAP).withNamespace(namespace)
                .addToLabels(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE).endMetadata()
                .addToData(DATA_KEY, randomHex(6))
                .build());
        String value = existing.getData() == null ? null : existing.getData().get(DATA_KEY);
        return checked(value, "ConfigMap " + namespace + "/" + CONFIG_MAP);
    }

    /**
     * The operator's own namespace, where the ConfigMap and the leader-election Lease live: the
     * service account's in a pod, the kubeconfig context's outside, else {@code default}.
     */
    public String namespace() {
        return Optional.ofNullable(client.getNamespace()).filter(n -> !n.isBlank()).orElse("default");
    }

    /**
     * The object {@code resource} names, created from {@code fresh} when absent. Created once: when
     * another replica created it first (409), theirs is used, so all replicas agree on its value.
     */
    public static <T extends HasMetadata> T getOrCreate(KubernetesClient client, Resource<T> resource, Supplier<T> fresh) {
        T existing = resource.get();
        if (existing != null) {
            return existing;
        }
        try {
            return client.resource(fresh.get()).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return resource.require(); // another replica created it first: use theirs
        }
    }

    public static String checked(String value, String source) {
        if (value == null || !Names.INSTALLATION_ID.matcher(value).matches()) {
            throw new IllegalStateException("installation id from " + source
                    + " must be 1-32 lower-case letters, digits and '-' (not at either end)");
        }
        if (Names.ENV_INSTALLATION.equals(value)) {
            throw new IllegalStateException("installation id from " + source + " must not be " + Names.ENV_INSTALLATION
                    + ": it marks the keys of the mai-env command, which an operator must never take for its own");
        }
        return value;
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
