package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.ADOPTED;
import static dev.mai.operator.reconciler.Conditions.APP_READY;
import static dev.mai.operator.reconciler.Conditions.APP_RESTRICTED;
import static dev.mai.operator.reconciler.Conditions.BUDGET_LOW;
import static dev.mai.operator.reconciler.Conditions.FALSE;
import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.KEY_VALID;
import static dev.mai.operator.reconciler.Conditions.PAUSED;
import static dev.mai.operator.reconciler.Conditions.READY;
import static dev.mai.operator.reconciler.Conditions.ROTATING;
import static dev.mai.operator.reconciler.Conditions.SECRET_SYNCED;
import static dev.mai.operator.reconciler.Conditions.TRUE;
import static dev.mai.operator.reconciler.Conditions.UNKNOWN;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.BudgetAlerts;
import dev.mai.operator.core.Instants;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.core.Money;
import dev.mai.operator.core.SpendingCaps;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.reconciler.Conditions.Reason;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Every condition of a MaiClient's status, its reason and message, decided from what a reconcile
 * observed and did: the one place conditions are set (the model is Keycloak's status aggregator).
 * Pure: it changes the status it was given and nothing else; events and the write are the caller's.
 * Each outcome of a reconcile has one method; {@link #ready()} derives Ready from the parts.
 */
final class StatusBuilder {

    private final MaiClientStatus status;
    private final Long generation;
    private final Instant now;
    /** KeyProvisioned says the key is held at a cap: {@link #provisioned} leaves it so. */
    private boolean heldAtCap;

    StatusBuilder(MaiClientStatus status, Long generation, Instant now) {
        this.status = status;
        this.generation = generation;
        this.now = now;
    }

    MaiClientStatus status() {
        return status;
    }

    /** Every condition not there yet at Unknown (the first visit). */
    StatusBuilder initialise() {
        Conditions.initialise(status, generation, now);
        return this;
    }

    /** Ready from its parts. */
    StatusBuilder ready() {
        Conditions.deriveReady(status, generation, now);
        return this;
    }

    /** Reconciling and Stalled from the rest, as kstatus reads them: part of every status write. */
    StatusBuilder kstatus() {
        Conditions.deriveKstatus(status, generation, now);
        return this;
    }

    /** {@link #kstatus()} of a status written mid-reconcile (an intent). */
    static void kstatus(MaiClientStatus status, Long generation, Instant now) {
        Conditions.deriveKstatus(status, generation, now);
    }

    /** The spec breaks a rule: Ready says which, nothing else is done. */
    StatusBuilder invalidSpec(String violations) {
        initialise();
        Conditions.set(status, READY, FALSE, Reason.INVALID_SPEC, "Invalid spec: " + violations, generation, now);
        Conditions.blockedBy(status, READY, generation, now); // parts never reconciled say they wait for the spec
        return this;
    }

    /** spec.adoptKeyFrom cannot be acted on ({@code why} names the field and the rule): no key is made or changed. */
    StatusBuilder adoptionRefused(String why) {
        String message = why + ". No key was created";
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.ADOPTION_REFUSED, message, generation, now);
        Conditions.set(status, ADOPTED, FALSE, Reason.ADOPTION_REFUSED, message, generation, now);
        return ready();
    }

    /** spec.adoptKeyFrom is not acted on, and the client goes on with the key it has. */
    StatusBuilder adoptionIgnored(String why) {
        Conditions.set(status, ADOPTED, FALSE, Reason.ADOPTION_REFUSED, why, generation, now);
        return this;
    }

    /** The key of Secret {@code from} was adopted at {@code at}. */
    StatusBuilder adopted(String from, String at) {
        Conditions.set(status, ADOPTED, TRUE, Reason.ADOPTED, "Adopted the key of Secret " + from + " at " + at
                + "; later changes to that Secret or to spec.adoptKeyFrom change nothing", generation, now);
        return this;
    }

    /** No spec.adoptKeyFrom and nothing adopted: no Adopted condition. */
    StatusBuilder adoptionForgotten() {
        if (status.getAdoption() == null || status.getAdoption().getAdoptedAt() == null) {
            Conditions.remove(status, ADOPTED);
        }
        return this;
    }

    /**
     * BudgetLow from the thresholds in force and what the spend reached ({@code judged}); gone when
     * spec.budgetAlerts is an empty list. The message names the threshold, not the spend, so that
     * spending does not rewrite it (the exact figures are metrics).
     */
    StatusBuilder budgetLow(List<Integer> thresholds, Optional<BigDecimal> limit, BudgetAlerts.Judgement judged) {
        if (thresholds.isEmpty()) {
            Conditions.remove(status, BUDGET_LOW);
            return this;
        }
        String alerts = "; alerts at " + String.join(", ", thresholds.stream().map(t -> t + "%").toList());
        if (limit.isEmpty()) {
            Conditions.set(status, BUDGET_LOW, FALSE, Reason.NO_LIMIT, "spec.spendingLimit is unlimited: nothing to alert on",
                    generation, now);
            return this;
        }
        String of = "% of the spending limit of " + Money.format(limit) + " USD" + (status.getNextLimitResetAt() == null
                ? " (it does not reset)" : " in the period ending at " + status.getNextLimitResetAt()) + alerts;
        if (judged.highest().isPresent()) {
            Conditions.set(status, BUDGET_LOW, TRUE, Reason.THRESHOLD_CROSSED, "The spend reached " + judged.highest().get()
                    + of, generation, now);
        } else {
            Conditions.set(status, BUDGET_LOW, FALSE, Reason.WITHIN_BUDGET, "The spend is below " + thresholds.get(0) + of,
                    generation, now);
        }
        return this;
    }

    /** No management key to work with (the message says where it was looked for). */
    StatusBuilder managementKeyMissing(String why) {
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PROVISIONING_KEY_MISSING, why, generation, now);
        return ready();
    }

    /** spec.provisioningKeySecretRef names another account than the one the key lives on. */
    StatusBuilder accountChanged(ProvisioningKeyRef madeWith, ProvisioningKeyRef named) {
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PROVISIONING_KEY_CHANGED, "The OpenRouter key of this "
                + "MaiClient was made with " + describe(madeWith) + ", which OpenRouter does not "
                + "know under " + describe(named) + " (another account). Put spec.provisioningKeySecretRef back; to move "
                + "the client to the other account, delete and re-create the MaiClient", generation, now);
        return ready();
    }

    /** The key in status works, but the management key in use does not know it: another account's key. */
    StatusBuilder keyOfAnotherAccount() {
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PROVISIONING_KEY_CHANGED, "OpenRouter key "
                + Optional.ofNullable(status.getKeyLabel()).orElse("") + " still works, but the management key in use "
                + "does not know it (was the management key replaced by one of another account?). Put the "
                + "original management key back; nothing is created meanwhile", generation, now);
        return ready();
    }

    /**
     * A fresh read does not show the key in status as this installation's key of this MaiClient. One
     * message for every case: which of them it is would tell whoever can write status about a key.
     */
    StatusBuilder ownedElsewhere(String installation) {
        String why = "A fresh read of the key in status.keyHash does not show it as this installation's (" + installation
                + ") key of this MaiClient: it carries another installation's id (a cloned or restored cluster whose operator "
                + "was given a new id, or a second operator watching the same MaiClients), or it is not this MaiClient's";
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.KEY_OWNED_ELSEWHERE, why + ". Nothing is created or changed "
                + "for this MaiClient meanwhile: a new key would double its spending ceiling on the same account. If this "
                + "installation is to take over a client another installation made, set the annotation " + Labels.TAKE_OVER
                + ": \"" + installation + "\" on the MaiClient: it then gets a new key of its own and the other key "
                + "is left alone", generation, now);
        return ready();
    }

    /** A Secret of the output name is not this MaiClient's. */
    StatusBuilder secretConflict(String message) {
        initialise();
        Conditions.set(status, SECRET_SYNCED, FALSE, Reason.SECRET_CONFLICT, message, generation, now);
        Conditions.blockedBy(status, SECRET_SYNCED, generation, now);
        return ready();
    }

    /**
     * The API server refused the Secret ({@code message}, empty when an earlier refusal for this spec
     * stands). The condition's time is the last refused attempt, not the first: the slow retry counts
     * from it, so a refusal only the real write sees costs at most one key per slow retry.
     */
    StatusBuilder secretRefused(Optional<String> message) {
        initialise();
        if (message.isPresent()) {
            Conditions.remove(status, SECRET_SYNCED);
            Conditions.set(status, SECRET_SYNCED, FALSE, Reason.SECRET_WRITE_FAILED, message.get(), generation, now);
        }
        Conditions.blockedBy(status, SECRET_SYNCED, generation, now);
        return ready();
    }

    /** OpenRouter refused for good ({@code reason}: the management key, credits, anything else). */
    StatusBuilder openRouterRefused(String reason, String message) {
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, reason, message, generation, now);
        return ready();
    }

    /** OpenRouter is failing for now (down, rate limiting): retried with backoff. */
    StatusBuilder openRouterFailing(boolean rateLimited, String message) {
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, rateLimited ? Reason.RATE_LIMITED : Reason.OPENROUTER_UNAVAILABLE,
                message + "; retrying with backoff", generation, now);
        return ready();
    }

    /** An earlier create did not finish and its key has not shown up in OpenRouter's list yet. */
    StatusBuilder waitingForUnfinishedCreate() {
        Conditions.set(status, KEY_PROVISIONED, UNKNOWN, Reason.PENDING, "An earlier key creation did not finish; "
                + "waiting for its key to appear on OpenRouter before creating another", generation, now);
        return ready();
    }

    /** A key this new is not in OpenRouter's lookups yet. */
    StatusBuilder notShownYet() {
        initialise();
        Conditions.set(status, KEY_VALID, UNKNOWN, Reason.KEY_NOT_ACCEPTED_YET, "OpenRouter does not show key "
                + status.getKeyLabel() + " yet; a new key can take a moment to propagate", generation, now);
        return ready();
    }

    /** OpenRouter no longer has the key in use: reported before a new key replaces it. */
    StatusBuilder keyRevoked(String hash) {
        String label = Optional.ofNullable(status.getKeyLabel()).orElse(hash.substring(0, 12) + "...");
        initialise();
        Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_REVOKED, "OpenRouter key " + label
                + " no longer exists (deleted outside the operator); a new key replaces it", generation, now);
        return ready();
    }

    /**
     * The client needs a new key but its period's budget is used up by the keys it replaces: no key
     * is created, and no Secret holds a usable one, until the reset or a higher limit.
     */
    StatusBuilder limitExhausted(MaiClientSpec spec, String secretName) {
        String message = "The period's budget of " + Money.format(Money.limit(spec.getSpendingLimit()))
                + " is used up by this client's replaced keys (" + Optional.ofNullable(status.getCarriedUsageInPeriod()).orElse("0")
                + " spent in this period): no new key is created until " + resetsAt() + orRaise("for a key with the difference now");
        initialise();
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.LIMIT_EXHAUSTED, message, generation, now);
        Conditions.set(status, KEY_VALID, FALSE, Reason.LIMIT_EXHAUSTED, message, generation, now);
        // no key, so no Secret holds one: pods that read it by secretKeyRef do not start until there is a key
        Conditions.set(status, SECRET_SYNCED, FALSE, Reason.LIMIT_EXHAUSTED, "Secret " + secretName
                + " holds no usable key: no key is created until " + resetsAt() + orRaise("for one now"), generation, now);
        return ready();
    }

    /**
     * The key matches the spec and the Secret holds it. {@code missingTargets}: rollout targets left
     * alone. {@code tampered}: the Secret had been edited to hold another key (stays on record until
     * the next key when {@code keyChanged} is false).
     */
    StatusBuilder provisioned(String secretName, List<String> missingTargets, boolean tampered, boolean keyChanged,
            MaiClientStatus before) {
        initialise();
        if (!heldAtCap) {
            Conditions.set(status, KEY_PROVISIONED, TRUE, Reason.PROVISIONED,
                    "OpenRouter key " + status.getKeyLabel() + " matches the spec", generation, now);
        }
        String synced = synced(secretName, missingTargets);
        if (tampered) {
            Conditions.set(status, SECRET_SYNCED, TRUE, Reason.SECRET_TAMPERED, synced + ". At " + now.truncatedTo(
                    ChronoUnit.SECONDS) + " it had been edited to hold or name a key other than this "
                    + "MaiClient's; that key was not used or touched, and this MaiClient got a new key of its own", generation, now);
        } else if (!hasReason(before, SECRET_SYNCED, Reason.SECRET_TAMPERED) || keyChanged) {
            Conditions.set(status, SECRET_SYNCED, TRUE, Reason.SYNCED, synced, generation, now);
        } // else: the tampering stays on record until the next key
        return this;
    }

    /** The SecretSynced message of a written Secret. */
    static String synced(String secretName, List<String> missingTargets) {
        return "Secret " + secretName + " holds the current values" + (missingTargets.isEmpty() ? ""
                : "; rollout targets left alone: " + String.join(", ", missingTargets));
    }

    /** Rotating: Idle, RotationInProgress while old keys wait for the consumers, RolloutStuck when a rollout gave up. */
    StatusBuilder rotating(List<PendingRevocation> remaining, Rollout rollout, boolean stuck) {
        if (remaining.isEmpty()) {
            Conditions.set(status, ROTATING, FALSE, Reason.IDLE, "No rotation in progress", generation, now);
            return this;
        }
        String waiting = String.join(", ", rollout.waiting());
        if (stuck) {
            Conditions.set(status, ROTATING, TRUE, Reason.ROLLOUT_STUCK, waiting + " did not finish rolling out the new key; "
                    + "the old key is kept until it does (fix the rollout; the old key stays valid meanwhile)", generation, now);
            return this;
        }
        String latest = remaining.stream().filter(r -> !r.waitsForRollout()).map(PendingRevocation::getNotAfter)
                .min(String::compareTo).map(t -> ", at the latest at " + t).orElse("");
        Conditions.set(status, ROTATING, TRUE, Reason.ROTATION_IN_PROGRESS, "Waiting for " + waiting
                + " to roll out the new key; the old key is deleted then" + latest, generation, now);
        return this;
    }

    /** A due rotation would leave the new key nothing to spend: it runs after the limit resets. */
    StatusBuilder rotationWaitsForBudget() {
        String at = Optional.ofNullable(status.getNextLimitResetAt()).orElse(status.getNextRotationAt());
        status.setNextRotationAt(at);
        Conditions.set(status, ROTATING, FALSE, Reason.IDLE, "A rotation is due and waits for the limit reset"
                + (at == null ? "" : " at " + at) + ": a new key now would start with nothing to spend", generation, now);
        return this;
    }

    /** KeyValid from what OpenRouter just said about the key. */
    StatusBuilder keyValidity(MaiClientSpec spec, KeyInfo key, boolean disabledOutside) {
        if (disabledOutside) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_DISABLED_OUTSIDE,
                    "The key was disabled outside the operator and stays disabled. To keep it off set "
                            + "spec.disableKey: true; for a fresh key delete Secret " + status.getSecretName()
                            + " (a new key replaces this one, which is then deleted)",
                    generation, now);
        } else if (key.disabled() && !Boolean.TRUE.equals(spec.getDisableKey())) {
            // disabled by this operator although the spec does not brake: the period's budget is used up
            Conditions.set(status, KEY_VALID, FALSE, Reason.LIMIT_EXHAUSTED, "The period's budget of "
                    + Money.format(Money.limit(spec.getSpendingLimit())) + " is used up by this client's "
                    + "keys; the key is disabled (never given a limit of 0) until " + resetsAt() + ", then enabled again"
                    + orRaise("to enable it now"),
                    generation, now);
        } else if (key.disabled()) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_DISABLED,
                    "The key is disabled by spec.disableKey", generation, now);
        } else if (key.limitExhausted()) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.LIMIT_EXHAUSTED, "The key has used its limit of "
                    + Money.format(Optional.ofNullable(key.limit())) + (status.getNextLimitResetAt() == null
                            ? "; it does not reset: raise spec.spendingLimit to let it spend again"
                            : " for this period; it resets at " + status.getNextLimitResetAt()), generation, now);
        } else {
            Conditions.set(status, KEY_VALID, TRUE, Reason.VALID, "The key is enabled", generation, now);
        }
        return this;
    }

    /**
     * A new key OpenRouter does not accept yet: it may take a moment to propagate. KeyValid stays
     * Unknown within the propagation window and is False after it; returns when to look again.
     */
    Duration notAcceptedYet() {
        Instant created = Instants.parse(status.getKeyCreatedAt()).orElse(now);
        if (Duration.between(created, now).compareTo(KeyRules.PROPAGATION) < 0) {
            Conditions.set(status, KEY_VALID, UNKNOWN, Reason.KEY_NOT_ACCEPTED_YET, "OpenRouter does not accept key "
                    + status.getKeyLabel() + " yet (GET /key answers 401); a new key can take a moment to propagate",
                    generation, now);
            return Waits.PROPAGATION_RECHECK;
        }
        Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_NOT_ACCEPTED_YET, "OpenRouter lists key " + status.getKeyLabel()
                + " as enabled but does not accept it (GET /key answers 401), although it was created at "
                + status.getKeyCreatedAt() + "; checked again every " + Waits.SLOW_PROPAGATION_RECHECK.toSeconds() + "s",
                generation, now);
        return Waits.SLOW_PROPAGATION_RECHECK;
    }

    /** KeyValid as last checked, its message saying since when the sweep could not check the key. */
    StatusBuilder sweepGap(MaiClientStatus before, Optional<SweepGap> gap) {
        SweepGap.show(before, status, gap, now);
        return this;
    }

    /**
     * A cap lowered below spec.spendingLimit holds the key at the cap: the spec is not what the key
     * has (KeyProvisioned, and so Ready, False with InvalidSpec), but the client keeps working.
     */
    StatusBuilder heldAtCap(SpendingCaps.Breach breach) {
        heldAtCap = true;
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.INVALID_SPEC, "Invalid spec: " + breach.violation() + ". OpenRouter "
                + "key " + status.getKeyLabel() + " is held at " + breach.clampTo().map(BigDecimal::toPlainString).orElse("")
                + " USD meanwhile (KeyValid says whether it can still spend); lower spec.spendingLimit to the cap, or have the "
                + "cap raised", generation, now);
        return this;
    }

    /** The API server refused an app object: AppReady says what it said. */
    StatusBuilder appRejected(String message) {
        Conditions.set(status, APP_READY, FALSE, Reason.APP_REJECTED, message, generation, now);
        return this;
    }

    /** AppReady: the Deployment is available with the revision, or rolling it out, or gave up. */
    StatusBuilder app(String name, String revision, boolean rolledOut, boolean gaveUp) {
        if (rolledOut) {
            Conditions.set(status, APP_READY, TRUE, Reason.AVAILABLE, "Deployment " + name
                    + " is available with Secret revision " + revision, generation, now);
        } else {
            Conditions.set(status, APP_READY, FALSE, gaveUp ? Reason.ROLLOUT_STUCK : Reason.APP_PROGRESSING,
                    "Deployment " + name + (gaveUp ? " exceeded its progress deadline rolling out" : " is rolling out")
                            + " Secret revision " + revision, generation, now);
        }
        return this;
    }

    /** AppRestricted: whether the pod passes Pod Security restricted ({@code relaxed}: why not). */
    StatusBuilder appRestricted(Optional<String> relaxed) {
        Conditions.set(status, APP_RESTRICTED, relaxed.isPresent() ? FALSE : TRUE, relaxed.isPresent()
                ? Reason.BASELINE_REQUESTED : Reason.RESTRICTED, relaxed.orElse("The application pod passes Pod Security "
                + "restricted"), generation, now);
        return this;
    }

    /** Without spec.app there is no application to report on. */
    StatusBuilder noApp() {
        Conditions.remove(status, APP_READY);
        Conditions.remove(status, APP_RESTRICTED);
        return this;
    }

    /**
     * Paused (mai.dev/paused is "true"): Paused=True says what the operator still does and what it
     * does not. A spec not applied yet ({@code specPending}: KeyProvisioned was not True for this
     * generation) shows on KeyProvisioned, and so on Ready, until the pause ends.
     */
    StatusBuilder paused(boolean specPending) {
        initialise();
        if (specPending) {
            Conditions.set(status, KEY_PROVISIONED, UNKNOWN, Reason.PAUSED, "The spec of generation " + generation
                    + " is applied when the pause ends (" + Labels.PAUSED + " is \"true\"); only its brakes apply now: "
                    + "spec.disableKey and a lower spending limit", generation, now);
        }
        Conditions.set(status, PAUSED, TRUE, Reason.PAUSED, Labels.PAUSED + " is \"true\": nothing is changed for this "
                + "MaiClient on OpenRouter or in the cluster (no key is created, rotated, renamed, enabled or deleted; the "
                + "Secret, the app objects and the rollout targets are left as they are). Still done: status and events from "
                + "the validation sweep, the brakes (spec.disableKey disables the key, a lower spending limit lowers its "
                + "limit) and the deletion of the MaiClient. Remove the annotation to resume", generation, now);
        return ready();
    }

    /** The pause ended: no Paused condition. */
    /** KeyValid of a key that stays disabled because this reconcile only brakes (a pause, an unreadable cap). */
    StatusBuilder keptDisabled() {
        Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_DISABLED, "The key is disabled and stays so while the operator "
                + "only applies brakes (a pause, or a spending cap that cannot be read): it is enabled again once the spec is "
                + "applied, if the budget allows", generation, now);
        return this;
    }

    StatusBuilder resumed() {
        Conditions.remove(status, PAUSED);
        return this;
    }

    static boolean hasReason(MaiClientStatus status, String type, String reason) {
        return Conditions.find(status, type).map(c -> reason.equals(c.getReason())).orElse(false);
    }

    static boolean hasMessage(MaiClientStatus status, String type, String message) {
        return Conditions.find(status, type).map(c -> message.equals(c.getMessage())).orElse(false);
    }

    private static String describe(ProvisioningKeyRef ref) {
        return ref == null ? "the operator-wide management key" : "the management key in Secret " + ref.getName();
    }

    /** "; raise spec.spendingLimit {@code what}" when the limit resets (else {@link #resetsAt} says so already). */
    private String orRaise(String what) {
        return status.getCarriedUntil() == null && status.getNextLimitResetAt() == null ? "" : "; raise spec.spendingLimit " + what;
    }

    private String resetsAt() {
        String at = Optional.ofNullable(status.getCarriedUntil()).orElse(status.getNextLimitResetAt());
        return at == null ? "spec.spendingLimit is raised (the limit does not reset)"
                : "the limit resets at " + at + " (judged on both the operator's and OpenRouter's clock, plus "
                        + Budget.RESET_MARGIN.toMinutes() + " minutes)";
    }
}
