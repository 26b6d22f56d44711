package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.KEY_VALID;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * Looks at the client's key as OpenRouter has it and brings it in line with the spec: with the key
 * itself when it is new or did not work last time, with a fresh read when something calls for one,
 * else with what the last sweep saw (no request). A key OpenRouter no longer has is reported gone;
 * {@link KeyFlow} replaces it.
 */
@ApplicationScoped
public class KeyCheck {

    private final KeyLifecycle lifecycle;
    private final Stops stops;
    private final ClientMetrics metrics;
    private final Requeue requeue;

    public KeyCheck(KeyLifecycle lifecycle, Stops stops, ClientMetrics metrics, Requeue requeue) {
        this.lifecycle = lifecycle;
        this.stops = stops;
        this.metrics = metrics;
        this.requeue = requeue;
    }

    /**
     * Looks at the key in use ({@code p.hash}): with the key itself when it is new or did not work
     * last time, with a fresh read when something calls for one. Ends the reconcile when it cannot go
     * on; sets {@code p.keyGone} when OpenRouter no longer has the key.
     */
    Optional<UpdateControl<MaiClient>> look(Pass p, Optional<KeySweep> sweep) {
        String current = p.hash;
        p.seen = sweep.flatMap(s -> s.observation(p.client)).filter(o -> o.hash().equals(current));
        p.disabledByOperator |= KeyPlan.disabledByOperator(p.before, p.hash); // set already for a key adopted disabled
        boolean knownDisabledOutside = StatusBuilder.hasReason(p.before, KEY_VALID, Reason.KEY_DISABLED_OUTSIDE);
        boolean attention = p.seen.map(o -> KeyPlan.sweepCallsForRead(o, o.gone() || o.foreign() ? null
                : lifecycle.plan(p.client, o.key(), p.disabledByOperator, committed(p)), knownDisabledOutside)).orElse(false);
        boolean awaitingAuth = p.hash.equals(p.before.getKeyHash())
                && StatusBuilder.hasReason(p.before, KEY_VALID, Reason.KEY_NOT_ACCEPTED_YET);
        if (KeyPlan.verifyWithKey(p.justCreated, awaitingAuth, p.seen.map(Observation::gone).orElse(false))) {
            p.verdict = lifecycle.verify(p.managementKey, p.key.get(), p.hash);
        }
        if (p.verdict == KeyRules.Verdict.REVOKED && (p.justCreated || awaitingAuth) && KeyPlan.young(p.status, p.before, p.now)) {
            p.verdict = KeyRules.Verdict.NOT_YET; // OpenRouter's lookups may not know a key this new yet
        }
        boolean revoked = p.verdict == KeyRules.Verdict.REVOKED;
        p.askOpenRouter = KeyPlan.readKey(revoked, p.observed != null, p.mustRead, attention, awaitingAuth, p.before,
                p.generation());
        if (p.askOpenRouter && (p.observed == null || revoked)) {
            p.freshRead = true;
            return readAfresh(p, revoked);
        }
        return Optional.empty();
    }

    /**
     * Brings the key in line with the spec (a PATCH when it differs) after a fresh read, or takes
     * the last sweep's figures when nothing called for one; the figures end up in status. A key
     * {@link #look} found gone must have been replaced first.
     */
    void bringInLine(Pass p, Optional<KeySweep> sweep) {
        if (p.keyGone && !p.justCreated) {
            throw new IllegalStateException("the key in use is gone and was not replaced: KeyFlow replaces it before this step");
        }
        if (p.askOpenRouter) {
            if (p.freshRead) {
                p.status.setKeyLabel(p.observed.info().label());
                if (!p.justCreated && (p.status.getKeyCreatedAt() == null || !p.hash.equals(p.before.getKeyHash()))) {
                    p.status.setKeyCreatedAt(p.observed.info().createdAt());
                }
            }
            KeyLifecycle.Sync sync = lifecycle.sync(p.client, p.managementKey, p.observed, p.disabledByOperator, committed(p));
            p.observed = sync.key();
            p.figures = p.observed.info();
            p.disabledOutside = sync.disabledOutside();
            p.status.setKeyDisabledByOperator(p.figures.disabled() && !p.disabledOutside ? Boolean.TRUE : null);
        } else if (p.seen.isPresent() && !p.seen.get().foreign()) {
            p.figures = p.seen.get().key(); // the sweep's figures: budget and validity without a request
            p.disabledOutside = lifecycle.plan(p.client, p.figures, p.disabledByOperator, committed(p)).disabledOutside();
            p.status.setKeyDisabledByOperator(p.figures.disabled() && !p.disabledOutside ? Boolean.TRUE : null);
        }
        if (p.figures != null) {
            Budget.apply(p.status, p.figures, requeue.clocks(p.now));
            if (p.askOpenRouter) {
                metrics.observed(p.client, p.figures, p.now);
                KeyInfo fresh = p.figures;
                sweep.ifPresent(s -> s.remember(p.client, p.managementKey, fresh));
            }
        }
    }

    /**
     * A fresh read of the key in use. A key this new may work before OpenRouter's lookup shows it
     * (look again shortly); a key that works although this management key does not know it is
     * another account's — never replaced (the old one would go on billing where this operator cannot
     * see it); a key OpenRouter no longer has is reported gone ({@code p.keyGone}).
     */
    private Optional<UpdateControl<MaiClient>> readAfresh(Pass p, boolean revoked) {
        KeyLifecycle.Proof proof = revoked ? null : lifecycle.prove(p.client, p.managementKey, p.hash);
        if (proof != null && proof.foreign()) {
            return stops.ownedElsewhere(p);
        }
        p.observed = proof == null ? null : proof.key().orElse(null);
        if (p.observed == null && p.verdict != null && !revoked && KeyPlan.young(p.status, p.before, p.now)) {
            return Optional.of(stops.stop(p, p.statusBuilder().notShownYet(), null, Waits.PROPAGATION_RECHECK));
        }
        if (p.observed == null && p.verdict == KeyRules.Verdict.VALID) {
            return Optional.of(stops.stop(p, p.statusBuilder().keyOfAnotherAccount(), KEY_PROVISIONED, Waits.SLOW_RETRY));
        }
        p.keyGone = p.observed == null;
        return Optional.empty();
    }

    /** After an old key with a reserved share was deleted, its unspent share moves to the key in use. */
    void rebalance(Pass p) {
        KeyLifecycle.Owned inUse = p.observed != null ? p.observed
                : lifecycle.prove(p.client, p.managementKey, p.hash).key().orElse(null);
        if (inUse == null) {
            return;
        }
        KeyLifecycle.Sync sync = lifecycle.sync(p.client, p.managementKey, inUse, p.disabledByOperator, committed(p));
        p.observed = sync.key();
        p.figures = p.observed.info();
        p.disabledOutside = sync.disabledOutside();
        p.status.setKeyDisabledByOperator(p.figures.disabled() && !p.disabledOutside ? Boolean.TRUE : null);
        Budget.apply(p.status, p.figures, requeue.clocks(p.now));
    }

    private BigDecimal committed(Pass p) {
        return Budget.committedInPeriod(p.status, requeue.clocks(p.now));
    }
}
