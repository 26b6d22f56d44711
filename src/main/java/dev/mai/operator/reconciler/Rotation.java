package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.Money;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Rotates the key (scheduled by spec.rotation, or asked for with {@code mai.dev/rotate}): the old
 * key keeps a share of what the client can still spend in this period, the new key gets the rest,
 * and the old key waits in pendingRevocations until every consumer rolled out the new one. Whether a
 * rotation is due is decided in {@link KeyPlan}.
 */
@ApplicationScoped
public class Rotation {

    private final KeyLifecycle lifecycle;
    private final KeyCreation creation;
    private final Events events;
    private final ClientMetrics metrics;
    private final MaiConfig config;
    private final Requeue requeue;

    public Rotation(KeyLifecycle lifecycle, KeyCreation creation, Events events, ClientMetrics metrics, MaiConfig config,
            Requeue requeue) {
        this.lifecycle = lifecycle;
        this.creation = creation;
        this.events = events;
        this.metrics = metrics;
        this.config = config;
        this.requeue = requeue;
    }

    /**
     * Replaces {@code outgoing} (proven this client's by a fresh read) with a new key. The share and
     * the old key's figures are recorded with the intent, before the create, so a crash cannot lose them.
     */
    KeyCreation.NewKey rotate(MaiClient client, Context<MaiClient> context, ApiKey managementKey, ProvisioningKeyRef source,
            Optional<Secret> secret, MaiClientStatus status, KeyLifecycle.Owned outgoing, String reason, Instant now) {
        KeyInfo old = outgoing.info();
        Optional<BigDecimal> limit = Money.limit(client.getSpec().getSpendingLimit());
        BigDecimal share = limit.map(l -> Budget.overlapShare(l, status, old, requeue.clocks(now))).orElse(null);
        BigDecimal oldLimit = share == null ? null : Money.cents(old.usageInPeriod().add(share));
        Budget.carryLifetime(status, old.usage());
        // a share of nothing for a key that spent nothing would be a limit of 0: such a key is disabled instead
        boolean disableOld = oldLimit != null && Budget.nothingLeft(oldLimit);
        List<PendingRevocation> pending = new ArrayList<>(Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()));
        PendingRevocation entry = new PendingRevocation(old.hash(), now.plus(config.rotationGrace()).toString(), reason,
                oldLimit == null ? null : oldLimit.toPlainString(),
                Money.cents(old.usage()).toPlainString(), Money.cents(old.usageInPeriod()).toPlainString());
        pending.add(disableOld && !old.disabled() ? entry.disabledByOperator() : entry);
        status.setPendingRevocations(pending);
        // recorded first, with this reconcile's resourceVersion: a stale operator gets a conflict before it touches a key
        StatusWrites.write(client, context, new MaiClientStatus(status), now);
        if (disableOld) {
            lifecycle.disable(client, managementKey, outgoing, "it has no share of the budget left during the rotation's overlap");
        } else if (oldLimit != null && !Money.sameCents(oldLimit, old.limit())) {
            lifecycle.limitTo(client, managementKey, outgoing, oldLimit, "keeps " + Money.format(Optional.of(share))
                    + " of the budget until the consumers have switched to the new key");
        }
        KeyCreation.NewKey created = creation.createAndStore(client, context, managementKey, source, secret, status, now);
        String why = PendingRevocation.REQUESTED.equals(reason) ? "asked for with " + Labels.ROTATE
                : "spec.rotation.every " + client.getSpec().getRotation().getEvery();
        events.normal(client, Events.KEY_ROTATED, "Rotated the OpenRouter key (" + why + "): " + created.key().info().label()
                + " replaces " + old.label() + ", which is deleted once every consumer has rolled out the new key");
        metrics.rotated(reason);
        return created;
    }

    /**
     * False when a rotation now would leave the new key nothing to spend (the old key's share and
     * spend take all that is left): the rotation waits for the period's reset instead.
     */
    boolean leavesBudget(MaiClient client, MaiClientStatus status, KeyInfo old, Instant now) {
        Optional<BigDecimal> limit = Money.limit(client.getSpec().getSpendingLimit());
        return limit.isEmpty() || !Budget.nothingLeft(Budget.leftForOverlap(limit.get(), status, old, requeue.clocks(now)));
    }
}
