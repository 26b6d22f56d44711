package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
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

    /**
     * The question asked of an API server: a terminating namespace's answer is true, another refusal
     * false, and no answer (5xx, 429) is no answer at all: it throws, so that the reconcile is retried
     * instead of taking "not terminating" and deleting a key deletionPolicy Retain keeps.
     */
    @Test
    void askedOfTheServerNoAnswerThrowsInsteadOfSayingNo() {
        KubernetesMockServer server = new KubernetesMockServer(false);
        server.init();
        String path = "/api/v1/namespaces/probe/secrets?dryRun=All";
        Status terminating = new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                .withNewDetails().addNewCause().withReason("NamespaceTerminating").endCause().endDetails().build();
        Status rbac = new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden").build();
        server.expect().post().withPath(path).andReturn(403, terminating).once();
        server.expect().post().withPath(path).andReturn(403, rbac).once();
        server.expect().post().withPath(path).andReturn(503, "unavailable").once();
        server.expect().post().withPath(path).andReturn(429, "slow down").once();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(server.createClient().getConfiguration())
                .withRequestRetryBackoffLimit(0).build()).build()) {
            assertThat(NamespaceLifecycle.terminating(client, "probe", "abc-env", "abc")).isTrue();
            assertThat(NamespaceLifecycle.terminating(client, "probe", "abc-env", "abc")).isFalse();
            assertThatThrownBy(() -> NamespaceLifecycle.terminating(client, "probe", "abc-env", "abc"))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(503));
            assertThatThrownBy(() -> NamespaceLifecycle.terminating(client, "probe", "abc-env", "abc"))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(429));
        } finally {
            server.destroy();
        }
    }
}
