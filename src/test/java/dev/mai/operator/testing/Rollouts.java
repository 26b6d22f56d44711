package dev.mai.operator.testing;

import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Rollouts where no controller runs. The embedded and mock API servers (and a control plane without
 * a kubelet) have no Deployment or StatefulSet controller: a test reports a workload rolled out as
 * those controllers would once every replica runs the current template.
 */
public final class Rollouts {

    private Rollouts() {
    }

    /**
     * Writes the status the Deployment controller reports once every replica ({@code spec.replicas},
     * 1 when unset) runs the current generation's template.
     */
    public static void markRolledOut(KubernetesClient client, String namespace, String name) {
        client.apps().deployments().inNamespace(namespace).withName(name).editStatus(d -> {
            int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration())
                    .withReplicas(replicas).withUpdatedReplicas(replicas).withReadyReplicas(replicas).withAvailableReplicas(replicas)
                    .build());
            return d;
        });
    }

    /**
     * The StatefulSet counterpart of {@link #markRolledOut}: every replica updated and ready, the
     * current revision the update revision.
     */
    public static void markStatefulSetRolledOut(KubernetesClient client, String namespace, String name) {
        client.apps().statefulSets().inNamespace(namespace).withName(name).editStatus(s -> {
            int replicas = s.getSpec().getReplicas() == null ? 1 : s.getSpec().getReplicas();
            s.setStatus(new StatefulSetStatusBuilder().withObservedGeneration(s.getMetadata().getGeneration())
                    .withReplicas(replicas).withUpdatedReplicas(replicas).withReadyReplicas(replicas).withCurrentReplicas(replicas)
                    .withAvailableReplicas(replicas).withCurrentRevision(name + "-1").withUpdateRevision(name + "-1").build());
            return s;
        });
    }
}
