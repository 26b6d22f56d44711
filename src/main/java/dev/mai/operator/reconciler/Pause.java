package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.KEY_VALID;
import static dev.mai.operator.reconciler.Conditions.PAUSED;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A paused MaiClient (annotation {@code mai.dev/paused: "true"}, exactly that value): a person stops
 * the operator's hands on one client. Nothing is written for it on OpenRouter or in the cluster — no
 * key created, rotated, replaced, renamed, enabled or deleted, no Secret, app object, rollout,
 * management-key finalizer or orphan collection — except its status and events, and the brakes:
 * a key the spec wants disabled is disabled, and a key whose limit is above what the spec allows now
 * gets the lower limit. Those only take spending away, so a pause never keeps money flowing that the
 * spec stopped. Status reports what the validation sweep saw (no request of its own in steady state).
 * A deletion is not paused ({@link KeyRelease}): namespace deletion must not hang on a pause. The
 * reconcile after the annotation is removed applies whatever changed meanwhile.
 */
@ApplicationScoped
public class Pause {

    private final KeyLifecycle lifecycle;
    private final Stops stops;
    private final Events events;
    private final Requeue requeue;
    private final SpendAlerts alerts;
    private final Revocations revocations;

    public Pause(KeyLifecycle lifecycle, Stops stops, Events events, Requeue requeue, SpendAlerts alerts, Revocations revocations) {
        this.alerts = alerts;
        this.revocations = revocations;
        this.lifecycle = lifecycle;
        this.stops = stops;
        this.events = events;
        this.requeue = requeue;
    }

    /** True when the MaiClient's annotation mai.dev/paused is exactly "true"; any other value is no pause. */
    static boolean requested(MaiClient client) {
        return "true".equals(MaiClientUpdates.annotation(client, Labels.PAUSED));
    }

    /**
     * The whole reconcile of a paused client (the brakes, then the status), or empty when the client
     * is not paused: then a pause that status still shows ends here (Paused removed from
     * {@code status}, one Resumed event) and the reconcile goes on as usual.
     */
    Optional<UpdateControl<MaiClient>> reconcile(MaiClient client, Context<MaiClient> context, ApiKey managementKey,
            MaiClientStatus before, MaiClientStatus status, Instant now, Optional<KeySweep> sweep) {
        Long generation = client.getMetadata().getGeneration();
        boolean wasPaused = Conditions.find(before, PAUSED).isPresent();
        if (!requested(client)) {
            if (wasPaused) {
                new StatusBuilder(status, generation, now).resumed();
                events.normal(client, Events.RESUMED, Labels.PAUSED + " was removed: the operator applies the spec again");
            }
            return Optional.empty();
        }
        UpdateControl<MaiClient> done = brakeOnly(client, context, managementKey, before, status, now, sweep, KEY_VALID,
                built -> built.paused(!Conditions.isTrueFor(before, KEY_PROVISIONED, generation)));
        if (!wasPaused) {
            // after the status write: a write that failed is retried, and the event comes with the one that succeeds
            events.normal(client, Events.PAUSED, Labels.PAUSED + " is \"true\": nothing is changed for this MaiClient on "
                    + "OpenRouter or in the cluster until the annotation is removed; status, the brakes (spec.disableKey, a "
                    + "lower spending limit) and deletion still work");
        }
        return Optional.of(done);
    }

    /**
     * A reconcile that only brakes: old keys still in use are restrained, the key in use gets the
     * spend-reducing part of what the spec asks, status shows what the sweep saw, and {@code report}
     * says why nothing else is done (a pause; a cap that cannot be read). {@code news}: the condition
     * whose change is an event.
     */
    UpdateControl<MaiClient> brakeOnly(MaiClient client, Context<MaiClient> context, ApiKey managementKey, MaiClientStatus before,
            MaiClientStatus status, Instant now, Optional<KeySweep> sweep, String news, UnaryOperator<StatusBuilder> report) {
        StatusBuilder built = new StatusBuilder(status, client.getMetadata().getGeneration(), now);
        String hash = before.getKeyHash();
        // the sweep's figures of the key in use; a key it found gone or not this client's is left as it is
        Optional<KeyInfo> seen = sweep.flatMap(s -> s.observation(client))
                .filter(o -> o.hash().equals(hash) && !o.gone() && !o.foreign()).map(Observation::key);
        // old keys of a rotation still run by consumers are braked too, first: what they may no longer
        // spend is what the key in use may then have
        if (status.getPendingRevocations() != null && !status.getPendingRevocations().isEmpty()) {
            status.setPendingRevocations(revocations.restrainWaiting(client, managementKey, status, now));
        }
        SpendAlerts.Crossings crossings = SpendAlerts.Crossings.NONE;
        if (seen.isPresent()) {
            Braked key = brake(client, managementKey, status, seen.get(), KeyPlan.disabledByOperator(before, hash), now, sweep);
            Budget.apply(status, key.figures(), requeue.clocks(now));
            status.setKeyDisabledByOperator(key.figures().disabled() && !key.disabledOutside() ? Boolean.TRUE : null);
            built.keyValidity(client.getSpec(), key.figures(), key.disabledOutside());
            if (key.figures().disabled() && !key.disabledOutside() && !Boolean.TRUE.equals(client.getSpec().getDisableKey())
                    && !key.figures().limitExhausted()) {
                built.keptDisabled(); // not the budget: a key that only brakes is never enabled
            }
            crossings = alerts.judge(client, built, key.figures(), now); // status and events only
        }
        UpdateControl<MaiClient> done = stops.stop(client, context, before,
                report.apply(built.sweepGap(before, sweep.flatMap(s -> s.gap(client, hash)))), news, null);
        alerts.announce(client, crossings);
        return done;
    }

    /** The key's figures after the brakes, and whether it is disabled from outside. */
    private record Braked(KeyInfo figures, boolean disabledOutside) {
    }

    /**
     * Applies the brakes the sweep's figures ({@code seen}) call for: on a fresh read that proves the
     * key this client's, the spend-reducing part of what the spec asks ({@link KeyRules#brakes}) — the
     * limit being the spec's less what replaced keys spent in the period. Nothing else is written.
     */
    private Braked brake(MaiClient client, ApiKey managementKey, MaiClientStatus status, KeyInfo seen, boolean disabledByOperator,
            Instant now, Optional<KeySweep> sweep) {
        BigDecimal committed = Budget.committedInPeriod(status, requeue.clocks(now));
        KeyRules.Plan plan = lifecycle.plan(client, seen, disabledByOperator, committed);
        if (KeyRules.brakes(plan, seen).isEmpty()) {
            return new Braked(seen, plan.disabledOutside());
        }
        KeyLifecycle.Proof proof = lifecycle.prove(client, managementKey, seen.hash());
        if (proof.key().isEmpty()) {
            return new Braked(seen, plan.disabledOutside()); // gone or not this client's: nothing is written to it
        }
        KeyLifecycle.Owned owned = proof.key().get();
        KeyRules.Plan fresh = lifecycle.plan(client, owned.info(), disabledByOperator, committed);
        KeyPatch brakes = KeyRules.brakes(fresh, owned.info());
        KeyInfo after = lifecycle.update(client, managementKey, owned, brakes, "a brake, applied although the MaiClient is paused");
        sweep.ifPresent(s -> s.remember(client, managementKey, after));
        return new Braked(after, fresh.disabledOutside());
    }
}
