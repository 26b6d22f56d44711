package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Whether a namespace is being deleted, as the API server's namespace lifecycle admission tells it:
 * a namespace that is terminating takes no new object, and the refusal (403) carries the cause
 * {@code NamespaceTerminating}. The namespace controller deletes a namespace's Secrets before (or
 * while) the MaiClients' finalizers run, so a client's Secret that vanished there says only that the
 * namespace is going — not that anyone wanted its key replaced or dropped.
 */
final class NamespaceLifecycle {

    private static final Logger LOG = Logger.getLogger(NamespaceLifecycle.class);

    /** The StatusCause the namespace lifecycle admission gives a create in a terminating namespace. */
    static final String TERMINATING_CAUSE = "NamespaceTerminating";

    private NamespaceLifecycle() {
    }

    /** True when {@code e} is the API server refusing a new object because its namespace is being deleted. */
    static boolean terminating(KubernetesClientException e) {
        return e.getCode() == 403 && Optional.ofNullable(e.getStatus()).map(Status::getDetails).map(StatusDetails::getCauses)
                .orElse(List.of()).stream().anyMatch(c -> TERMINATING_CAUSE.equals(c.getReason()));
    }

    /**
     * Asks the API server, by a server-side dry run of creating the Secret {@code secretName} (stores
     * nothing; needs only the right to create Secrets, no read of the Namespace, which a namespaced
     * installation may not have), whether {@code namespace} is being deleted. Any other answer, a
     * refusal for another reason included, is false; no answer (a connection failure, 429, 5xx) throws.
     */
    static boolean terminating(KubernetesClient client, String namespace, String secretName, String clientName) {
        try {
            client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName(secretName)
                    .withNamespace(namespace).withLabels(Labels.child(clientName)).endMetadata().build()).dryRun().create();
            return false;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 0 || e.getCode() == 429 || e.getCode() >= 500) {
                // no answer: nothing is known, and a wrong "no" would delete a key deletionPolicy Retain keeps.
                // The reconcile fails and is retried
                throw e;
            }
            boolean terminating = terminating(e);
            if (!terminating) {
                // answered, refused for another reason (a webhook without dry-run support, a quota, a policy). A
                // terminating namespace refuses every create before webhooks and quotas are asked, so this one
                // is not being deleted
                LOG.infof("%s/%s: dry run of Secret %s refused (HTTP %d), not for a namespace being deleted",
                        namespace, clientName, secretName, e.getCode());
            }
            return terminating;
        }
    }
}
