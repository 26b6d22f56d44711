package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Names;
import dev.mai.operator.openrouter.ApiKey;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Keys of a MaiClient that the sweep found held by nothing for the orphan grace period: deleted in
 * the client's reconcile, after a fresh read of the MaiClient and its Secret confirms that neither
 * holds them.
 */
@ApplicationScoped
public class Orphans {

    private final ClientSecrets secrets;
    private final KeyLifecycle lifecycle;

    public Orphans(ClientSecrets secrets, KeyLifecycle lifecycle) {
        this.secrets = secrets;
        this.lifecycle = lifecycle;
    }

    void collect(MaiClient client, Context<MaiClient> context, ApiKey managementKey, Set<String> orphans, Optional<KeySweep> sweep) {
        MaiClient live = context.getClient().resource(client).get();
        if (live == null || live.getStatus() == null || live.getStatus().getKeyCreationStartedAt() != null
                || live.getStatus().getAdoption() != null && live.getStatus().getAdoption().underWay()) {
            return;
        }
        Set<String> held = new HashSet<>();
        Optional.ofNullable(live.getStatus().getKeyHash()).ifPresent(held::add);
        Optional.ofNullable(live.getStatus().getPendingRevocations()).orElse(List.of()).forEach(r -> held.add(r.getHash()));
        secrets.find(live, context, Names.secretName(live), true).flatMap(s -> secrets.stored(s, live, null))
                .ifPresent(k -> held.add(k.hash()));
        for (String orphan : orphans) {
            if (!held.contains(orphan)) {
                lifecycle.revoke(client, managementKey, orphan, Events.ORPHAN_KEY_REVOKED,
                        "because neither the Secret nor the status of this MaiClient holds it");
            }
        }
        sweep.ifPresent(s -> s.orphansCollected(client));
    }
}
