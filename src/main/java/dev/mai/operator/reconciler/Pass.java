package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.core.Names;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Instant;
import java.util.Optional;

/**
 * One reconcile of a MaiClient's key, as it goes: what it started from ({@link #before}), what it
 * observed (the Secret, the key it holds, OpenRouter's figures) and what its own writes changed. The
 * working {@link #status} is what is written at the end. Not shared between reconciles.
 */
final class Pass {

    final MaiClient client;
    final Context<MaiClient> context;
    final ApiKey managementKey;
    /** The Secret the management key came from; null for the operator-wide key. */
    final ProvisioningKeyRef source;
    final MaiClientStatus before;
    final MaiClientStatus status;
    final Instant now;
    /** A person asked this installation to take the client over from another installation. */
    final boolean takingOver;
    final String secretName;
    /** An earlier create did not finish (its intent is still in status). */
    final boolean unfinished;

    /** The client's Secret, and the one it had under an earlier spec.secret.name. */
    Optional<Secret> secret = Optional.empty();
    Optional<Secret> previous = Optional.empty();
    /** The Secret the key is read from, as first found: the client's, else the one under its earlier name. */
    Optional<Secret> keySource = Optional.empty();
    /** The key the Secret holds, if it is this client's; its hash (null when none) and value. */
    Optional<EnvSecret.Stored> stored = Optional.empty();
    String hash;
    Optional<ApiKey> key = Optional.empty();
    /** The Secret was edited to hold or name a key other than this client's. */
    boolean tampered;
    /** Secret and status disagreed: OpenRouter is read afresh, the sweep's figures are not enough. */
    boolean mustRead;
    /** The key in the Secret as a fresh read during this reconcile proved it this client's. */
    KeyLifecycle.Owned observed;
    /** What the last sweep saw of the key in use, if it saw that key. */
    Optional<Observation> seen = Optional.empty();
    /** Why the key status held before was replaced; null when it was not. */
    String replacedWhy;
    boolean justCreated;
    /** OpenRouter is asked about the key in this reconcile (a fresh read, a PATCH when it differs). */
    boolean askOpenRouter;
    /** The key's label and creation time come from a fresh read made in this reconcile's check. */
    boolean freshRead;
    /** A fresh read showed OpenRouter no longer has the key in use: it is replaced. */
    boolean keyGone;
    boolean rotationWaitsForBudget;
    /** What {@code GET /key} with the key itself said, when it was asked. */
    KeyRules.Verdict verdict;
    /** The key's figures: from this reconcile's read or write, else the last sweep's. */
    KeyInfo figures;
    boolean disabledOutside;
    /** This operator disabled the key in use (as status said when the reconcile began). */
    boolean disabledByOperator;

    /** A cap below the spec's limit that holds this client's key at the cap (the client above is the clamped copy). */
    Optional<dev.mai.operator.core.SpendingCaps.Breach> capped = Optional.empty();

    Pass(MaiClient client, Context<MaiClient> context, ApiKey managementKey, ProvisioningKeyRef source, MaiClientStatus before,
            MaiClientStatus status, Instant now, boolean takingOver) {
        this.client = client;
        this.context = context;
        this.managementKey = managementKey;
        this.source = source;
        this.before = before;
        this.status = status;
        this.now = now;
        this.takingOver = takingOver;
        this.secretName = Names.secretName(client);
        this.unfinished = before.getKeyCreationStartedAt() != null;
    }

    Long generation() {
        return client.getMetadata().getGeneration();
    }

    StatusBuilder statusBuilder() {
        return new StatusBuilder(status, generation(), now);
    }

    /** The key just adopted (spec.adoptKeyFrom), stored in {@code written}, is now the client's key. */
    void adopted(KeyLifecycle.Owned owned, ApiKey value, Secret written) {
        observed = owned;
        hash = owned.hash();
        key = Optional.of(value);
        secret = Optional.of(written);
        justCreated = true;
        disabledByOperator = owned.info().disabled(); // an adoption disables a key only as a brake of its own
    }

    /** The key just created (by a create, a replacement or a rotation) is now the client's key. */
    void created(KeyCreation.NewKey created) {
        observed = created.owned();
        hash = observed.hash();
        key = Optional.of(created.key().key());
        secret = Optional.of(created.secret());
        justCreated = true;
    }
}
