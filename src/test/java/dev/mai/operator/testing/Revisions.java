package dev.mai.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.Labels;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;

/**
 * Reading the environment revision ({@link Labels#ENV_REVISION}): the one a client's Secret carries,
 * and the one a workload's pod template carries once the operator rolled it to that Secret.
 */
public final class Revisions {

    private Revisions() {
    }

    /** The revision {@code secret} carries; fails when it carries none (the operator always writes one). */
    public static String of(Secret secret) {
        assertThat(secret).as("Secret").isNotNull();
        Map<String, String> annotations = secret.getMetadata().getAnnotations();
        assertThat(annotations).as("annotations of Secret %s", secret.getMetadata().getName()).containsKey(Labels.ENV_REVISION);
        return annotations.get(Labels.ENV_REVISION);
    }

    /** The revision on a pod template; null while the operator has not marked it. */
    public static String of(PodTemplateSpec template) {
        Map<String, String> annotations = template.getMetadata() == null ? null : template.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(Labels.ENV_REVISION);
    }

    /** The revision on Deployment {@code namespace/name}'s pod template; null while it or the revision is missing. */
    public static String ofDeployment(KubernetesClient client, String namespace, String name) {
        Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
        return d == null ? null : of(d.getSpec().getTemplate());
    }
}
