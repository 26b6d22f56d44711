package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.SECRET_SYNCED;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.Instants;
import dev.mai.operator.core.Names;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CreatedKey;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The one place a key is created: the intent recorded in status first, then {@code POST /keys}, then
 * the Secret at once — the plaintext exists only in OpenRouter's answer. If the Secret cannot be
 * written the new key is deleted again; if even that fails, the intent left in status makes the next
 * reconcile find and delete it.
 */
@ApplicationScoped
public class KeyCreation {

    private static final Logger LOG = Logger.getLogger(KeyCreation.class);

    private final KeyLifecycle lifecycle;
    private final ClientSecrets secrets;
    private final Requeue requeue;

    public KeyCreation(KeyLifecycle lifecycle, ClientSecrets secrets, Requeue requeue) {
        this.lifecycle = lifecycle;
        this.secrets = secrets;
        this.requeue = requeue;
    }

    /** A key just created and the Secret that now holds it. */
    record NewKey(CreatedKey key, KeyLifecycle.Owned owned, Secret secret) {
    }

    /**
     * Creates the client's key on the account of {@code managementKey} ({@code source}: the Secret it
     * came from) and stores it in the client's Secret ({@code actual}: as it is now). {@code status}
     * is the reconcile's working status: it gets the intent, then the new key.
     */
    NewKey createAndStore(MaiClient client, Context<MaiClient> context, ApiKey managementKey, ProvisioningKeyRef source,
            Optional<Secret> actual, MaiClientStatus status, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        Optional<Instant> refusedAt = Conditions.find(status, SECRET_SYNCED)
                .filter(c -> Reason.SECRET_WRITE_FAILED.equals(c.getReason()) && Objects.equals(c.getObservedGeneration(), generation))
                .flatMap(c -> Instants.parse(c.getLastTransitionTime()));
        if (refusedAt.isPresent() && now.isBefore(refusedAt.get().plus(Waits.SLOW_RETRY))) {
            // the API server refused this Secret for this spec a moment ago: another key would only be made
            // and deleted again; try again after the slow retry, or at once when the spec changes
            throw new SecretRefused(Names.secretName(client), null, new MaiClientStatus(status));
        }
        secrets.dryRun(client, context, actual, status, now);
        recordIntent(client, context, source, status, now);
        KeyLifecycle.Minted minted;
        try {
            minted = lifecycle.create(client, managementKey, Budget.committedInPeriod(status, requeue.clocks(now)));
        } catch (OpenRouterException e) {
            if (!e.retryable()) {
                status.setKeyCreationStartedAt(null); // a definite refusal: OpenRouter created nothing
            }
            throw e;
        }
        CreatedKey created = minted.created();
        MaiClientStatus recorded = new MaiClientStatus(status);
        status.setKeyHash(created.info().hash());
        status.setKeyLabel(created.info().label());
        // the operator's clock, which every time decision uses (rotation schedule, propagation window)
        status.setKeyCreatedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
        try {
            Secret written = secrets.write(client, context, actual, secrets.desired(client, created.key(), status));
            status.setKeyCreationStartedAt(null); // stored: the create is finished
            return new NewKey(created, minted.owned(), written);
        } catch (KubernetesClientException | SecretRefused e) {
            return storedAfterAll(client, context, minted, status).orElseThrow(() -> undo(client, context, managementKey,
                    minted, recorded, e, now));
        }
    }

    /**
     * Writes the status before a create, with the resourceVersion this reconcile read: a stale or
     * deposed operator gets a conflict here, before it can create anything.
     */
    private static void recordIntent(MaiClient client, Context<MaiClient> context, ProvisioningKeyRef source,
            MaiClientStatus status, Instant now) {
        status.setKeyCreationStartedAt(now.toString());
        status.setProvisioningKeySecretRef(source); // the account the new key will live on
        // a fresh key answers any rotation asked so far
        status.setRotationRequest(MaiClientUpdates.annotation(client, Labels.ROTATE));
        new StatusBuilder(status, client.getMetadata().getGeneration(), now).initialise();
        StatusWrites.write(client, context, new MaiClientStatus(status), now);
    }

    /** The write may have happened after all (a retried request answered by a conflict): the Secret decides. */
    private Optional<NewKey> storedAfterAll(MaiClient client, Context<MaiClient> context, KeyLifecycle.Minted minted,
            MaiClientStatus status) {
        // someone else's Secret that took the name meanwhile holds nothing of ours: the new key is nobody's
        Optional<Secret> stored = secrets.findOwn(client, context, Names.secretName(client), true)
                .filter(s -> secrets.stored(s, client, null).map(k -> k.hash().equals(minted.created().info().hash())).orElse(false));
        stored.ifPresent(s -> status.setKeyCreationStartedAt(null));
        return stored.map(s -> new NewKey(minted.created(), minted.owned(), s));
    }

    /**
     * Deletes the key whose Secret could not be written and records that the create is resolved;
     * returns what to throw: the refusal (reported in status, retried slowly — no key made and deleted
     * per retry) or the failure.
     */
    private RuntimeException undo(MaiClient client, Context<MaiClient> context, ApiKey managementKey, KeyLifecycle.Minted minted,
            MaiClientStatus recorded, RuntimeException failure, Instant now) {
        int code = failure instanceof KubernetesClientException k ? k.getCode()
                : ((SecretRefused) failure).cause().map(KubernetesClientException::getCode).orElse(0);
        String hash = minted.created().info().hash();
        try {
            lifecycle.revoke(client, managementKey, hash, Events.ORPHAN_KEY_REVOKED,
                    "because its Secret could not be written (HTTP " + code + ")");
            // the create is resolved: no need for the next reconcile to look for its key
            recorded.setKeyCreationStartedAt(null);
            StatusWrites.write(client, context, recorded, now);
        } catch (OpenRouterException | KubernetesClientException revokeFailed) {
            LOG.warnf("new key %s of %s/%s is left for the next reconcile to delete: %s", hash,
                    client.getMetadata().getNamespace(), client.getMetadata().getName(), revokeFailed.getMessage());
            return failure;
        }
        return failure instanceof SecretRefused refused ? refused.after(recorded) : failure;
    }
}
