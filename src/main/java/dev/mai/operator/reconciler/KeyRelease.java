package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.core.Names;
import dev.mai.operator.core.Owners;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The finalizer's work when a MaiClient is deleted: its keys deleted on OpenRouter, or the one its
 * Secret holds kept and marked retained (deletionPolicy Retain), or given up (an annotation says so);
 * then the management-key Secret it held is let go.
 */
@ApplicationScoped
public class KeyRelease {

    private static final Logger LOG = Logger.getLogger(KeyRelease.class);

    private final ClientSecrets secrets;
    private final ManagementKeys managementKeys;
    private final KeyLifecycle lifecycle;
    private final Events events;
    private final ClientMetrics metrics;
    private final Adoption adoption;

    public KeyRelease(ClientSecrets secrets, ManagementKeys managementKeys, KeyLifecycle lifecycle, Events events,
            ClientMetrics metrics, Adoption adoption) {
        this.adoption = adoption;
        this.secrets = secrets;
        this.managementKeys = managementKeys;
        this.lifecycle = lifecycle;
        this.events = events;
        this.metrics = metrics;
    }

    /** What the deletion found: the Secret, the key it holds, and every key status names. */
    private record Holdings(String secretName, Optional<Secret> secret, Optional<String> inSecret, Set<String> hashes) {
    }

    DeleteControl release(MaiClient client, Context<MaiClient> context, Optional<KeySweep> sweep) {
        MaiClientStatus status = Optional.ofNullable(client.getStatus()).orElseGet(MaiClientStatus::new);
        Holdings held = holdings(client, context, status);
        boolean unfinished = status.getKeyCreationStartedAt() != null
                || status.getAdoption() != null && status.getAdoption().underWay();
        if (held.hashes().isEmpty() && !unfinished) {
            return released(client, context, status, sweep); // no key was ever created
        }
        Map<String, String> annotations = Optional.ofNullable(client.getMetadata().getAnnotations()).orElse(Map.of());
        if ("true".equals(annotations.get(Labels.ABANDON_KEY))) {
            // a person gave the key up: nothing is asked of OpenRouter for it, everything is released. A proof of
            // possession cut short is not the client's key to give up: its change is undone where that is possible
            undoAdoption(client, context, status, held);
            events.warning(client, Events.KEY_ABANDONED, "OpenRouter key " + Optional.ofNullable(status.getKeyLabel()).orElse("")
                    + " abandoned (" + Labels.ABANDON_KEY + "); it was not deleted on OpenRouter");
            return released(client, context, status, sweep);
        }
        // the key lives where it was made: resolve the management key recorded with it, not the current spec
        ManagementKeys.Resolution resolution = managementKeys.resolve(client, status.getProvisioningKeySecretRef(), context);
        if (resolution.isMissing()) {
            events.warning(client, Reason.PROVISIONING_KEY_MISSING, "Cannot release the OpenRouter key: " + resolution.missing()
                    + ". Deletion waits; to give the key up instead, set the annotation " + Labels.ABANDON_KEY + ": \"true\"");
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(Waits.MISSING_KEY_RETRY);
        }
        try {
            adoption.release(client, resolution.key(), status, held.hashes()); // an adoption cut short: carried back or kept
            deleteOrKeep(client, context, resolution.key(), status, held);
        } catch (OpenRouterException e) {
            if (e.retryable()) {
                throw e;
            }
            events.warning(client, e.managementKeyRejected() ? Reason.PROVISIONING_KEY_REJECTED : Reason.OPENROUTER_REJECTED,
                    "Cannot release the OpenRouter key: " + e.getMessage() + ". Deletion waits; to give the key up instead, "
                            + "set the annotation " + Labels.ABANDON_KEY + ": \"true\"");
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(Waits.SLOW_RETRY);
        }
        return released(client, context, status, sweep);
    }

    private void undoAdoption(MaiClient client, Context<MaiClient> context, MaiClientStatus status, Holdings held) {
        if (status.getAdoption() == null || !status.getAdoption().underWay()) {
            return;
        }
        ManagementKeys.Resolution resolution = managementKeys.resolve(client, status.getProvisioningKeySecretRef(), context);
        try {
            if (!resolution.isMissing()) {
                adoption.release(client, resolution.key(), status, held.hashes());
            }
        } catch (OpenRouterException e) {
            LOG.warnf("%s/%s: abandoned while its adoption was under way; the change its proof made could not be undone: %s",
                    client.getMetadata().getNamespace(), client.getMetadata().getName(), e.getMessage());
        }
    }

    private Holdings holdings(MaiClient client, Context<MaiClient> context, MaiClientStatus status) {
        String secretName = Optional.ofNullable(status.getSecretName()).orElse(Names.secretName(client));
        Optional<Secret> secret = secrets.findOwn(client, context, secretName, true);
        // a digest of an earlier version proves nothing: such a Secret names only the key status already holds
        Optional<String> inSecret = secret.flatMap(s -> secrets.stored(s, client, status.getKeyHash()))
                .filter(k -> !k.legacy() || k.hash().equals(status.getKeyHash()))
                .map(EnvSecret.Stored::hash);
        Set<String> hashes = new LinkedHashSet<>();
        inSecret.ifPresent(hashes::add);
        Optional.ofNullable(status.getKeyHash()).ifPresent(hashes::add);
        Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()).forEach(r -> hashes.add(r.getHash()));
        return new Holdings(secretName, secret, inSecret, hashes);
    }

    /**
     * The key to keep under Retain is the one its Secret holds: the Secret survives with it. With the
     * Secret deleted (by hand, or by a garbage collector while it still had an owner reference) nobody
     * holds the key any more: it is deleted, not left live and unmanaged. A Secret gone with its
     * namespace is another matter: the namespace controller deletes every Secret, the retained one
     * included, often before this finalizer runs, and whoever copied the Secret out first still uses
     * the key: it is kept.
     */
    private void deleteOrKeep(MaiClient client, Context<MaiClient> context, ApiKey managementKey, MaiClientStatus status,
            Holdings held) {
        boolean retain = Owners.retains(client);
        boolean secretGone = held.secret().isEmpty();
        boolean goneWithNamespace = retain && secretGone && status.getKeyHash() != null
                && NamespaceLifecycle.terminating(context.getClient(), client.getMetadata().getNamespace(), held.secretName(),
                        client.getMetadata().getName());
        Optional<String> kept = !retain ? Optional.empty()
                : held.inSecret().or(() -> secretGone && !goneWithNamespace ? Optional.empty() : Optional.ofNullable(status.getKeyHash()));
        if (goneWithNamespace) {
            // no event can be written in a namespace being deleted: the log says it
            LOG.warnf("%s/%s: Secret %s went with its namespace; OpenRouter key %s is kept (deletionPolicy Retain) and "
                    + "marked retained. Unless the Secret was copied out first nobody holds the key: delete it in "
                    + "OpenRouter's dashboard", client.getMetadata().getNamespace(), client.getMetadata().getName(), held.secretName(),
                    Optional.ofNullable(status.getKeyLabel()).orElse(status.getKeyHash()));
        } else if (retain && secretGone && status.getKeyHash() != null) {
            events.warning(client, Events.KEY_NOT_KEPT, "deletionPolicy is Retain, but Secret " + held.secretName() + ", the only copy "
                    + "of the key, is gone: the key is deleted instead of kept");
        }
        if (status.getKeyCreationStartedAt() != null) {
            lifecycle.collectUnfinishedCreate(client, managementKey, Instant.parse(status.getKeyCreationStartedAt()),
                    kept.map(Set::of).orElse(Set.of()));
        }
        if (kept.isPresent()) {
            keep(client, context, managementKey, kept.get(), held.secret(), goneWithNamespace);
        }
        for (String hash : held.hashes()) {
            if (!kept.map(hash::equals).orElse(false)) {
                lifecycle.revoke(client, managementKey, hash, Events.KEY_DELETED, "because its MaiClient was deleted");
            }
        }
    }

    /** Renames the kept key first and lets go of its Secret last: a retry after a failure in between still finds its Secret. */
    private void keep(MaiClient client, Context<MaiClient> context, ApiKey managementKey, String hash, Optional<Secret> secret,
            boolean goneWithNamespace) {
        if (lifecycle.retain(client, managementKey, hash)) {
            metrics.retained(goneWithNamespace ? ClientMetrics.RETAINED_WITH_NAMESPACE : ClientMetrics.RETAINED_KEPT);
        }
        secret.ifPresent(s -> secrets.letGo(client, context, s));
    }

    /** Lets go of the management-key Secrets this MaiClient held and forgets it. */
    private DeleteControl released(MaiClient client, Context<MaiClient> context, MaiClientStatus status, Optional<KeySweep> sweep) {
        var ref = client.getSpec() == null ? null : client.getSpec().getProvisioningKeySecretRef();
        Set<String> names = new LinkedHashSet<>();
        Optional.ofNullable(status.getProvisioningKeySecretRef()).map(r -> r.getName()).ifPresent(names::add);
        Optional.ofNullable(ref).map(r -> r.getName()).ifPresent(names::add);
        names.forEach(name -> managementKeys.release(context, client, name));
        metrics.forget(client);
        sweep.ifPresent(s -> s.forget(client));
        return DeleteControl.defaultDelete();
    }
}
