package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.Instants;
import dev.mai.operator.core.Money;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The client's old keys: retired when replaced (frozen at their spend, which is carried), restrained
 * while they wait for the consumers (the brake and a lowered limit reach them too), and deleted once
 * every consumer runs the new key — their final spend carried into status first.
 */
@ApplicationScoped
public class Revocations {

    private final KeyLifecycle lifecycle;
    private final MaiConfig config;
    private final Requeue requeue;

    public Revocations(KeyLifecycle lifecycle, MaiConfig config, Requeue requeue) {
        this.lifecycle = lifecycle;
        this.config = config;
        this.requeue = requeue;
    }

    /** What is left after a pass over the pending revocations. */
    record Outcome(List<PendingRevocation> remaining, boolean rebalance, boolean stuck) {
    }

    /**
     * Deletes the old keys whose time has come: once the key in use ({@code hash}) is stored and every
     * consumer runs it, a forced replacement's at the latest after the rotation grace. A failed revoke
     * throws and they stay pending. {@code replacedWhy}: why the key status held before was replaced.
     */
    Outcome revokeDue(MaiClient client, ApiKey managementKey, MaiClientStatus before, MaiClientStatus status, String hash,
            String replacedWhy, Rollout rollout, Instant now) {
        boolean rebalance = false;
        boolean stuck = false;
        List<PendingRevocation> remaining = new ArrayList<>();
        for (PendingRevocation r : Optional.ofNullable(status.getPendingRevocations()).orElse(List.of())) {
            if (r.getHash().equals(hash)) {
                continue;
            }
            boolean overdue = !now.isBefore(Instants.parse(r.getNotAfter()).orElse(now));
            if (!rollout.done() && (r.waitsForRollout() || !overdue)) {
                remaining.add(r);
                stuck |= r.waitsForRollout() && (overdue || rollout.deadlineExceeded());
                continue;
            }
            if (r.getUsage() != null) {
                settle(client, managementKey, status, r, now); // a rotation's old key: carry its final spend
                rebalance |= r.getReservedInPeriod() != null;
            }
            lifecycle.revoke(client, managementKey, r.getHash(), Events.OLD_KEY_REVOKED,
                    why(Objects.equals(r.getHash(), before.getKeyHash()) ? replacedWhy : null, rollout));
        }
        if (!remaining.isEmpty()) {
            // on every path, not only after a spec change: a limit lowered while a reconcile failed still clamps
            remaining = restrain(client, managementKey, status, remaining, now);
        }
        return new Outcome(remaining, rebalance, stuck);
    }

    /**
     * Only the brakes on old keys that wait for their consumers (a paused client's, whose consumers may
     * still run them): {@link #restrain}, which disables or freezes them and nothing else.
     */
    List<PendingRevocation> restrainWaiting(MaiClient client, ApiKey managementKey, MaiClientStatus status, Instant now) {
        List<PendingRevocation> waiting = Optional.ofNullable(status.getPendingRevocations()).orElse(List.of());
        return waiting.isEmpty() ? waiting : restrain(client, managementKey, status, waiting, now);
    }

    private String why(String replacedWhy, Rollout rollout) {
        return (replacedWhy != null ? "because " + replacedWhy : "because a newer key replaced it")
                + (rollout.consumers() == 0 ? "" : rollout.done() ? ", once every consumer had rolled out the new key"
                        : ", " + config.rotationGrace().toSeconds() + "s after it was replaced although "
                                + String.join(", ", rollout.waiting()) + " had not rolled out the new key");
    }

    /**
     * The spec changed while old keys wait for their consumers: the brake ({@code disableKey}) covers
     * them too, and when their shares no longer fit the spec's limit (lowered, or set where there was
     * none) they are frozen at what they spent, so all keys together stay within it.
     */
    private List<PendingRevocation> restrain(MaiClient client, ApiKey managementKey, MaiClientStatus status,
            List<PendingRevocation> waiting, Instant now) {
        boolean brake = Boolean.TRUE.equals(client.getSpec().getDisableKey());
        Optional<BigDecimal> limit = Money.limit(client.getSpec().getSpendingLimit());
        // a replaced key (FORCED) was frozen at its spend when it was replaced, and that spend is carried:
        // it has no reservation to clamp, and reserving its spend again would count it twice
        boolean over = limit.isPresent() && (waiting.stream().anyMatch(r -> r.getReservedInPeriod() == null && !forced(r))
                || Budget.committedInPeriod(status, requeue.clocks(now)).compareTo(limit.get()) > 0);
        if (!brake && !over) {
            return waiting;
        }
        List<PendingRevocation> out = new ArrayList<>();
        for (PendingRevocation r : waiting) {
            if (forced(r) && r.getReservedInPeriod() == null && (!brake || Boolean.TRUE.equals(r.getDisabledByOperator()))) {
                out.add(r); // frozen already; only the brake has something to add (disabling it)
                continue;
            }
            Optional<KeyLifecycle.Owned> old = lifecycle.prove(client, managementKey, r.getHash()).key();
            out.add(old.isEmpty() ? r : restrainOne(client, managementKey, r, old.get(), brake, over));
        }
        return out;
    }

    private PendingRevocation restrainOne(MaiClient client, ApiKey managementKey, PendingRevocation r, KeyLifecycle.Owned old,
            boolean brake, boolean over) {
        KeyPatch patch = new KeyPatch();
        String reserved = r.getReservedInPeriod();
        boolean disable = brake;
        if (over && !(forced(r) && r.getReservedInPeriod() == null)) {
            BigDecimal spent = Money.cents(old.info().usageInPeriod());
            if (Budget.nothingLeft(spent)) {
                disable = true; // frozen at a spend of nothing: disabled, never limited to 0
            } else if (old.info().limit() == null || Money.cents(old.info().limit()).compareTo(spent) != 0) {
                patch.limit(spent); // only when it differs: a clamp in place is not sent again
            }
            reserved = spent.toPlainString();
        }
        boolean disabledNow = disable && !old.info().disabled();
        if (disabledNow) {
            patch.disabled(true);
        }
        lifecycle.update(client, managementKey, old, patch, "the spec changed during the rotation");
        PendingRevocation restrained = new PendingRevocation(r.getHash(), r.getNotAfter(), r.getReason(), reserved, r.getUsage(),
                r.getUsageInPeriod());
        return disabledNow || Boolean.TRUE.equals(r.getDisabledByOperator()) ? restrained.disabledByOperator() : restrained;
    }

    private static boolean forced(PendingRevocation r) {
        return PendingRevocation.FORCED.equals(r.getReason());
    }

    /**
     * Carries what an overlapping old key spent, read just before it is deleted (its reservation
     * ends with it); a key already gone counts as having spent its whole share.
     */
    private void settle(MaiClient client, ApiKey managementKey, MaiClientStatus status, PendingRevocation r, Instant now) {
        // only this client's own key's figures count: a hash in status is a claim, its figures could be anyone's
        Optional<KeyInfo> last = lifecycle.prove(client, managementKey, r.getHash()).key().map(KeyLifecycle.Owned::info);
        BigDecimal atStart = decimal(r.getUsage());
        BigDecimal share = decimal(r.getReservedInPeriod()).subtract(decimal(r.getUsageInPeriod())).max(BigDecimal.ZERO);
        BigDecimal usage = last.map(KeyInfo::usage).orElse(atStart.add(share));
        BigDecimal inPeriod = last.map(KeyInfo::usageInPeriod)
                .orElse(decimal(r.getReservedInPeriod() != null ? r.getReservedInPeriod() : r.getUsageInPeriod()));
        Budget.retire(status, usage.subtract(atStart), inPeriod, client.getSpec().getLimitReset(), requeue.clocks(now));
    }

    /**
     * Carries the figures of a key being replaced into status (budget-safe replacement): frozen when a
     * fresh read proved it this client's ({@code owned}), else its last figures in status (which lag by
     * less than $1 or 1%). Once only: a retry finds the key among the pending revocations the first
     * attempt recorded.
     */
    void retire(MaiClient client, ApiKey managementKey, MaiClientStatus before, MaiClientStatus status, String old,
            Optional<KeyLifecycle.Owned> owned, Instant now) {
        if (Optional.ofNullable(before.getPendingRevocations()).orElse(List.of()).stream().anyMatch(r -> old.equals(r.getHash()))) {
            return;
        }
        BigDecimal usage;
        BigDecimal inPeriod;
        boolean disabledNow = false;
        if (owned.isPresent()) {
            KeyInfo frozen = lifecycle.freeze(client, managementKey, owned.get());
            disabledNow = frozen.disabled() && !owned.get().info().disabled();
            usage = frozen.usage();
            inPeriod = frozen.usageInPeriod();
        } else {
            usage = decimal(before.getUsage()).subtract(decimal(before.getCarriedUsage()));
            inPeriod = decimal(before.getUsageInPeriod()).subtract(Budget.carriedInPeriod(before, requeue.clocks(now)));
        }
        Budget.retire(status, usage, inPeriod, client.getSpec().getLimitReset(), requeue.clocks(now));
        List<PendingRevocation> pending = new ArrayList<>(Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()));
        if (pending.stream().noneMatch(r -> old.equals(r.getHash()))) {
            pending.add(forced(old, now));
        }
        if (disabledNow) {
            // the freeze disabled it (nothing left to spend): say so in its entry
            pending.replaceAll(r -> old.equals(r.getHash()) ? r.disabledByOperator() : r);
        }
        status.setPendingRevocations(pending);
    }

    /** The entry of a key replaced outside a rotation: deleted once the consumers run the new key, at the latest after the grace. */
    PendingRevocation forced(String hash, Instant now) {
        return new PendingRevocation(hash, now.plus(config.rotationGrace()).toString(), PendingRevocation.FORCED, null, null, null);
    }

    private static BigDecimal decimal(String amount) {
        return amount == null ? BigDecimal.ZERO : new BigDecimal(amount);
    }
}
