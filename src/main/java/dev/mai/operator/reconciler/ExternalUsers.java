package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.core.Names;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The client's external user: {@code spec.externalUser}, else the value in effect, else the old
 * script's default, computed once (renaming the organization keeps it). A default another MaiClient
 * already uses is a warning.
 */
@ApplicationScoped
public class ExternalUsers {

    /** The index of MaiClients by status.externalUser: the collision check looks clients up by it instead of scanning them all. */
    static final String INDEX = "status.externalUser";

    private static final Logger LOG = Logger.getLogger(ExternalUsers.class);

    private final Events events;

    public ExternalUsers(Events events) {
        this.events = events;
    }

    /** The index's keys of a MaiClient. */
    static List<String> indexKeys(MaiClient client) {
        return client.getStatus() == null || client.getStatus().getExternalUser() == null
                ? List.of() : List.of(client.getStatus().getExternalUser());
    }

    String of(MaiClient client, Context<MaiClient> context, MaiClientStatus before) {
        if (client.getSpec().getExternalUser() != null) {
            return client.getSpec().getExternalUser();
        }
        if (before.getExternalUser() != null) {
            return before.getExternalUser();
        }
        String computed = Names.defaultExternalUser(client.getSpec().getOrganizationName());
        List<MaiClient> others = context.getPrimaryCache().byIndex(INDEX, computed).stream()
                .filter(o -> !o.getMetadata().getUid().equals(client.getMetadata().getUid()))
                .toList();
        String namespace = client.getMetadata().getNamespace();
        if (others.stream().anyMatch(o -> namespace.equals(o.getMetadata().getNamespace()))) {
            events.warning(client, Events.EXTERNAL_USER_COLLISION, "The default external user " + computed
                    + " is already used by another MaiClient in this namespace; set spec.externalUser to tell them apart");
        } else if (!others.isEmpty()) {
            // another tenant's: the tenant may not learn that some other MaiClient has a name like its own
            // (an event would answer "is this organization a client here?"); the platform team reads the log
            LOG.warnf("the default external user of %s/%s is also used by %d MaiClient(s) in other namespaces; "
                    + "spec.externalUser tells them apart", namespace, client.getMetadata().getName(), others.size());
        }
        return computed;
    }
}
