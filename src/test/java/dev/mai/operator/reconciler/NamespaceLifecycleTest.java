package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

/**
 * A namespace being deleted is told by the cause the API server's namespace lifecycle admission gives
 * (the answer below is kube-apiserver v1.36.3's, verbatim), never by a 403 alone: an RBAC denial or an
 * admission policy's refusal is not a namespace going away, and must not keep a key Retain would drop.
 */
class NamespaceLifecycleTest {

    private static KubernetesClientException refused(Status status) {
        return new KubernetesClientException(status);
    }

    @Test
    void aCreateRefusedBecauseTheNamespaceIsTerminatingSaysSo() {
        Status terminating = new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                .withMessage("secrets \"t\" is forbidden: unable to create new content in namespace probe because it is being terminated")
                .withNewDetails().withName("t").withKind("secrets")
                .addNewCause().withReason("NamespaceTerminating").withMessage("namespace probe is being terminated")
                .withField("metadata.namespace").endCause().endDetails().build();

        assertThat(NamespaceLifecycle.terminating(refused(terminating))).isTrue();
    }

    @Test
    void anRbacDenialOrAnotherRefusalIsNot() {
        Status rbac = new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                .withMessage("secrets is forbidden: User \"system:serviceaccount:mai-system:mai-operator\" cannot create resource "
                        + "\"secrets\" in API group \"\" in the namespace \"probe\"")
                .withNewDetails().withKind("secrets").endDetails().build();
        Status policy = new StatusBuilder().withStatus("Failure").withCode(422).withReason("Invalid")
                .withMessage("secrets \"t\" is forbidden: ValidatingAdmissionPolicy 'no-mai-secrets' denied request")
                .withNewDetails().addNewCause().withReason("NamespaceTerminating").endCause().endDetails().build();

        assertThat(NamespaceLifecycle.terminating(refused(rbac))).isFalse();
        assertThat(NamespaceLifecycle.terminating(refused(policy))).as("not a 403").isFalse();
        assertThat(NamespaceLifecycle.terminating(new KubernetesClientException("connection reset"))).isFalse();
    }
}
