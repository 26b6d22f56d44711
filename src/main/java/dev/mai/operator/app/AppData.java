package dev.mai.operator.app;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.Labels;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Deleter;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The application's data claim {@code <name>-data}. Created once and never updated (a claim's spec
 * is immutable but for growing it). Retained by default: then it has no owner reference, so neither
 * removing spec.app nor deleting the MaiClient takes the client's data with it; only a claim with
 * {@code storage.retain: false} is owned and deleted. Mapped to its MaiClient by label, since a
 * retained claim has no owner reference to map by.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class AppData extends KubernetesDependentResource<PersistentVolumeClaim, MaiClient>
        implements Creator<PersistentVolumeClaim, MaiClient>, Deleter<MaiClient>, SecondaryToPrimaryMapper<PersistentVolumeClaim> {

    public static final String NAME = "app-data";

    public AppData() {
        super(PersistentVolumeClaim.class);
    }

    /** By name, without computing desired(): the workflow looks the object up to delete it when spec.app is gone. */
    @Override
    protected ResourceID targetSecondaryResourceID(MaiClient primary, Context<MaiClient> context) {
        return new ResourceID(AppResources.dataName(primary), primary.getMetadata().getNamespace());
    }

    @Override
    protected PersistentVolumeClaim desired(MaiClient primary, Context<MaiClient> context) {
        return AppResources.dataClaim(primary);
    }

    @Override
    protected void addReferenceHandlingMetadata(PersistentVolumeClaim desired, MaiClient primary) {
        // the owner reference (or its absence) is part of desired(): retain decides it
    }

    @Override
    public Set<ResourceID> toPrimaryResourceIDs(PersistentVolumeClaim claim) {
        String client = Optional.ofNullable(claim.getMetadata().getLabels()).map(l -> l.get(Labels.CLIENT)).orElse(null);
        return client == null ? Set.of() : Set.of(new ResourceID(client, claim.getMetadata().getNamespace()));
    }

    /** Deletes the claim only if this MaiClient owns it: a retained claim is never deleted. */
    @Override
    protected void handleDelete(MaiClient primary, PersistentVolumeClaim claim, Context<MaiClient> context) {
        boolean owned = claim != null && Optional.ofNullable(claim.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
                .anyMatch(o -> primary.getMetadata().getUid().equals(o.getUid()));
        if (owned) {
            context.getClient().resource(claim).delete();
        }
    }
}
