package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.enterprise.context.ApplicationScoped;

/** The MaiClient's status on the API server: the only place the operator writes it. */
@ApplicationScoped
public class StatusWrites {

    private final ClientMetrics metrics;

    public StatusWrites(ClientMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * Writes the status when it differs from what the reconcile started from: a whole-status update,
     * so no field the reconcile cleared can survive on the server.
     */
    UpdateControl<MaiClient> commit(MaiClient client, Context<MaiClient> context, MaiClientStatus before, MaiClientStatus status) {
        if (!status.equals(before)) {
            put(client, context, status); // Stops derived Reconciling and Stalled with the rest
        }
        metrics.record(client, status);
        return UpdateControl.noUpdate();
    }

    /**
     * Updates the status with optimistic locking on the version this reconcile knows: the one it
     * read, or the one its own earlier write returned (kept on the reconcile's copy of the resource).
     * Anyone else's write in between — a stale or second operator — makes this fail with a conflict
     * and the reconcile start over, instead of overwriting an intent or a key still to revoke. Before
     * a create this records the intent: a stale or deposed operator gets its conflict here.
     */
    static void write(MaiClient client, Context<MaiClient> context, MaiClientStatus status, java.time.Instant now) {
        StatusBuilder.kstatus(status, client.getMetadata().getGeneration(), now);
        put(client, context, status);
    }

    private static void put(MaiClient client, Context<MaiClient> context, MaiClientStatus status) {
        MaiClient copy = new MaiClient();
        copy.setMetadata(new ObjectMetaBuilder(client.getMetadata()).build());
        copy.setSpec(client.getSpec());
        copy.setStatus(status);
        MaiClient written = context.resourceOperations().updatePrimaryStatus(copy);
        client.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
    }
}
