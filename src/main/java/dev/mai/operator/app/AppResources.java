package dev.mai.operator.app;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.Owners;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The client's application as plain objects: the Deployment {@code <name>-app},
 * its Service and the data claim {@code <name>-data}. Pure: built from the MaiClient, the name of
 * its Secret and the Secret's revision only, so the dependents' {@code desired()} stay pure and the
 * builders are unit-tested directly. No key material goes in: the key reaches the pod through
 * {@code secretKeyRef} and the Secret volume.
 */
public final class AppResources {

    public static final int DEFAULT_PORT = 8080;
    public static final String DEFAULT_MOUNT_PATH = "/app/backend/data";
    public static final String CONTAINER = "mai";
    /** Where the application reads its environment file. */
    public static final String DOTENV_PATH = "/app/.env";
    /** Owner (root) and group (the pod's fsGroup) may read the .env file, nobody else (0440). */
    public static final int DOTENV_MODE = 0440;
    static final String ENV_VOLUME = "env-file";
    static final String DATA_VOLUME = "data";
    /** Pod label telling this client's application pods apart (the selector). */
    public static final String COMPONENT = "mai.dev/component";


    private AppResources() {
    }

    public static String appName(MaiClient client) {
        return client.getMetadata().getName() + "-app";
    }

    public static String dataName(MaiClient client) {
        return client.getMetadata().getName() + "-data";
    }

    public static int port(AppSpec app) {
        return Optional.ofNullable(app.getPort()).orElse(DEFAULT_PORT);
    }

    public static int replicas(AppSpec app) {
        return Optional.ofNullable(app.getReplicas()).orElse(1);
    }

    /** True when the claim outlives spec.app and the MaiClient (the default). */
    public static boolean retained(AppStorage storage) {
        return storage == null || !Boolean.FALSE.equals(storage.getRetain());
    }

    static Map<String, String> selector(MaiClient client) {
        return Map.of(Labels.CLIENT, client.getMetadata().getName(), COMPONENT, "app");
    }

    static Map<String, String> labels(MaiClient client) {
        Map<String, String> labels = new LinkedHashMap<>(Labels.child(client.getMetadata().getName()));
        labels.put(COMPONENT, "app");
        return labels;
    }

    /** The application Deployment, with the Secret's revision on its pod template. */
    public static Deployment deployment(MaiClient client, String secretName, String revision) {
        AppSpec app = client.getSpec().getApp();
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName(appName(client))
                .withNamespace(client.getMetadata().getNamespace())
                .withLabels(labels(client))
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas(app))
                // ReadWriteOnce data: the old pod lets go of the volume before the new one starts
                .withNewStrategy().withType(app.getStorage() != null ? "Recreate" : "RollingUpdate").endStrategy()
                .withNewSelector().withMatchLabels(selector(client)).endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels(client))
                .withAnnotations(Map.of(Labels.ENV_REVISION, revision))
                .endMetadata()
                .withNewSpec()
                // the application has no business with the Kubernetes API: no token in the pod
                .withAutomountServiceAccountToken(false)
                .withSecurityContext(AppSecurity.pod(app))
                .withContainers(container(app, secretName))
                .withVolumes(volumes(client, secretName))
                .withNodeSelector(app.getNodeSelector())
                .withTolerations(app.getTolerations())
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /** The application's one container, its environment and its mounts. */
    private static Container container(AppSpec app, String secretName) {
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(app.getImage())
                .addNewPort().withName("http").withContainerPort(port(app)).withProtocol("TCP").endPort()
                .withEnv(env(app, secretName))
                .withVolumeMounts(mounts(app.getStorage()))
                .withResources(app.getResources())
                .withSecurityContext(AppSecurity.container(app))
                .build();
    }

    /** The Secret's variables by reference, then spec.app.env's own. */
    private static List<EnvVar> env(AppSpec app, String secretName) {
        List<EnvVar> env = new ArrayList<>();
        for (String variable : Environment.VARIABLES) {
            env.add(new EnvVarBuilder().withName(variable)
                    .withNewValueFrom().withNewSecretKeyRef(variable, secretName, false).endValueFrom().build());
        }
        Optional.ofNullable(app.getEnv()).ifPresent(env::addAll);
        return env;
    }

    /** The .env file from the Secret, read-only; the data volume when spec.app.storage is set. */
    private static List<VolumeMount> mounts(AppStorage storage) {
        List<VolumeMount> mounts = new ArrayList<>();
        mounts.add(new VolumeMountBuilder().withName(ENV_VOLUME).withMountPath(DOTENV_PATH)
                .withSubPath(Environment.DOTENV).withReadOnly(true).build());
        if (storage != null) {
            mounts.add(new VolumeMountBuilder().withName(DATA_VOLUME)
                    .withMountPath(Optional.ofNullable(storage.getMountPath()).orElse(DEFAULT_MOUNT_PATH)).build());
        }
        return mounts;
    }

    /** The Secret's .env entry (mode 0440) and, when spec.app.storage is set, the data claim. */
    private static List<Volume> volumes(MaiClient client, String secretName) {
        AppStorage storage = client.getSpec().getApp().getStorage();
        List<Volume> volumes = new ArrayList<>();
        volumes.add(new VolumeBuilder().withName(ENV_VOLUME).withNewSecret()
                .withSecretName(secretName)
                .withDefaultMode(DOTENV_MODE)
                .addNewItem().withKey(Environment.DOTENV).withPath(Environment.DOTENV).withMode(DOTENV_MODE).endItem()
                .endSecret().build());
        if (storage != null) {
            volumes.add(new VolumeBuilder().withName(DATA_VOLUME).withNewPersistentVolumeClaim()
                    .withClaimName(dataName(client)).endPersistentVolumeClaim().build());
        }
        return volumes;
    }

    public static Service service(MaiClient client) {
        int port = port(client.getSpec().getApp());
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(appName(client))
                .withNamespace(client.getMetadata().getNamespace())
                .withLabels(labels(client))
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withSelector(selector(client))
                .addNewPort().withName("http").withPort(port).withNewTargetPort("http").withProtocol("TCP").endPort()
                .endSpec()
                .build();
    }

    /** The data claim: ReadWriteOnce; owned by the MaiClient only when storage.retain is false. */
    public static PersistentVolumeClaim dataClaim(MaiClient client) {
        AppStorage storage = client.getSpec().getApp().getStorage();
        var builder = new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(dataName(client))
                .withNamespace(client.getMetadata().getNamespace())
                .withLabels(labels(client))
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(storage.getStorageClassName())
                .withNewResources().withRequests(Map.of("storage", new Quantity(storage.getSize()))).endResources()
                .endSpec();
        if (!retained(storage)) {
            builder.editMetadata().withOwnerReferences(Owners.ownerReference(client)).endMetadata();
        }
        return builder.build();
    }

    /** Map entries and properties in a fixed order: the digest must not depend on a JVM's hash seed ({@code Map.of}). */
    private static final com.fasterxml.jackson.databind.ObjectMapper CANONICAL = new com.fasterxml.jackson.databind.ObjectMapper()
            .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(com.fasterxml.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true);

    /**
     * A digest of a spec as canonical JSON (no key material is ever in it: the key comes by
     * reference). Equal specs give equal digests in every process, so a restarted operator sees no change.
     */
    public static String digest(Object spec) {
        try {
            byte[] json = CANONICAL.writeValueAsBytes(spec);
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(json)).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a Deployment spec always serializes", e);
        }
    }

    /** The revision on a workload's pod template, if any. */
    public static Optional<String> revision(io.fabric8.kubernetes.api.model.PodTemplateSpec template) {
        return Optional.ofNullable(template).map(t -> t.getMetadata()).map(m -> m.getAnnotations()).map(a -> a.get(Labels.ENV_REVISION));
    }

    /**
     * True when the Deployment runs {@code revision} everywhere, as {@code kubectl rollout status}
     * judges it: its controller saw the current spec, every replica is updated and available, and no
     * old replica is left.
     */
    public static boolean rolledOut(Deployment d, String revision) {
        if (!revision(d.getSpec().getTemplate()).map(revision::equals).orElse(false) || d.getStatus() == null) {
            return false;
        }
        var s = d.getStatus();
        int want = Optional.ofNullable(d.getSpec().getReplicas()).orElse(1);
        return Optional.ofNullable(s.getObservedGeneration()).orElse(0L) >= Optional.ofNullable(d.getMetadata().getGeneration()).orElse(0L)
                && n(s.getUpdatedReplicas()) >= want
                && n(s.getReplicas()) <= n(s.getUpdatedReplicas())
                && n(s.getAvailableReplicas()) >= n(s.getUpdatedReplicas());
    }

    /** The StatefulSet counterpart of {@link #rolledOut(Deployment, String)}. */
    public static boolean rolledOut(StatefulSet s, String revision) {
        if (!revision(s.getSpec().getTemplate()).map(revision::equals).orElse(false) || s.getStatus() == null) {
            return false;
        }
        var st = s.getStatus();
        int want = Optional.ofNullable(s.getSpec().getReplicas()).orElse(1);
        return Optional.ofNullable(st.getObservedGeneration()).orElse(0L) >= Optional.ofNullable(s.getMetadata().getGeneration()).orElse(0L)
                && n(st.getUpdatedReplicas()) >= want
                && n(st.getReadyReplicas()) >= want
                && (st.getUpdateRevision() == null || st.getUpdateRevision().equals(st.getCurrentRevision()));
    }

    /** True when the Deployment's controller gave up on the rollout (its progress deadline passed). */
    public static boolean progressDeadlineExceeded(Deployment d) {
        return d.getStatus() != null && Optional.ofNullable(d.getStatus().getConditions()).orElse(List.of()).stream()
                .anyMatch(c -> "Progressing".equals(c.getType()) && "False".equals(c.getStatus())
                        && "ProgressDeadlineExceeded".equals(c.getReason()));
    }

    private static int n(Integer value) {
        return value == null ? 0 : value;
    }
}
