package dev.mai.operator.core;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What ties an object to its MaiClient: the owner reference, the client-UID annotation, the deletion policy. */
public final class Owners {

    private Owners() {
    }

    /**
     * True unless the deletion policy says Delete (or is absent, the default). An unreadable policy
     * keeps the key: a value nobody meant should never destroy a credential.
     */
    public static boolean retains(MaiClient client) {
        String policy = client.getSpec() == null ? null : client.getSpec().getDeletionPolicy();
        return policy != null && !"Delete".equals(policy);
    }

    /**
     * True when the Secret is this MaiClient's: labelled by this operator for it, and tied to it by UID
     * — a controller owner reference (deletionPolicy Delete) or the client-UID annotation (Retain, no
     * owner reference).
     */
    public static boolean ownedBy(Secret secret, MaiClient client) {
        var meta = secret.getMetadata();
        Map<String, String> labels = Optional.ofNullable(meta.getLabels()).orElse(Map.of());
        String uid = client.getMetadata().getUid();
        return Labels.MANAGED_BY_VALUE.equals(labels.get(Labels.MANAGED_BY))
                && client.getMetadata().getName().equals(labels.get(Labels.CLIENT))
                && (Optional.ofNullable(meta.getOwnerReferences()).orElse(List.of()).stream()
                        .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && uid.equals(o.getUid()))
                        || uid.equals(Optional.ofNullable(meta.getAnnotations()).orElse(Map.of()).get(Labels.CLIENT_UID)));
    }

    /** The controller owner reference to the MaiClient; with it the Secret goes when its MaiClient goes. */
    public static OwnerReference ownerReference(MaiClient client) {
        return new OwnerReferenceBuilder()
                .withApiVersion(client.getApiVersion())
                .withKind(client.getKind())
                .withName(client.getMetadata().getName())
                .withUid(client.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }
}
