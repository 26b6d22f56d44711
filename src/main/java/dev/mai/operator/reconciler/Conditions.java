package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The condition primitives: the types, the reasons, and how one condition is set, found or derived.
 * Only {@link StatusBuilder} sets conditions (and {@link SweepGap} annotates KeyValid's message);
 * ArchitectureTest holds that. A condition keeps its {@code lastTransitionTime} unless its status, reason or message
 * changed, so an unchanged observation yields an equal status and no write.
 */
public final class Conditions {

    public static final String KEY_PROVISIONED = "KeyProvisioned";
    public static final String SECRET_SYNCED = "SecretSynced";
    public static final String KEY_VALID = "KeyValid";
    public static final String READY = "Ready";
    /** Only with spec.app: the Deployment is available with the current Secret revision. */
    public static final String APP_READY = "AppReady";
    /**
     * Only with spec.app: True when the application pod passes Pod Security restricted, False when
     * spec.app.securityProfile relaxes it (not part of Ready: a relaxed pod is what was asked for).
     */
    public static final String APP_RESTRICTED = "AppRestricted";
    /** True while a rotation is in progress; not part of Ready. */
    public static final String ROTATING = "Rotating";
    /** Only with spec.adoptKeyFrom: whether the key named was adopted. Not part of Ready. */
    public static final String ADOPTED = "Adopted";
    /** True once the period's spend crossed one of spec.budgetAlerts' thresholds; not part of Ready. */
    public static final String BUDGET_LOW = "BudgetLow";
    /** Only while the annotation mai.dev/paused is "true": the operator makes no changes for this client. */
    public static final String PAUSED = "Paused";
    /** kstatus: True while the operator is still working towards the spec (progress expected without a person). */
    public static final String RECONCILING = "Reconciling";
    /** kstatus: True when the operator cannot make progress without a person (a terminal reason). */
    public static final String STALLED = "Stalled";
    /** Every condition type the operator sets. */
    public static final java.util.Set<String> TYPES = java.util.Set.of(KEY_PROVISIONED, SECRET_SYNCED, KEY_VALID, READY, APP_READY,
            APP_RESTRICTED, ROTATING, ADOPTED, BUDGET_LOW, PAUSED, RECONCILING, STALLED);
    /**
     * Ready's reasons that need a person (a fix of the spec, a Secret, the account, the cluster): kstatus
     * Stalled, Argo CD Degraded (deploy/argocd/health.lua lists the same; a test holds them equal).
     * Every other reason of a False or Unknown Ready heals by itself and is Reconciling — KeyRevoked too: a new
     * key replaces the revoked one at once, and while it cannot, the reason is what stops it.
     */
    public static final java.util.Set<String> TERMINAL = java.util.Set.of(Reason.INVALID_SPEC, Reason.PROVISIONING_KEY_MISSING,
            Reason.PROVISIONING_KEY_REJECTED, Reason.PROVISIONING_KEY_CHANGED, Reason.KEY_OWNED_ELSEWHERE,
            Reason.INSUFFICIENT_CREDITS, Reason.OPENROUTER_REJECTED, Reason.SECRET_CONFLICT, Reason.SECRET_WRITE_FAILED,
            Reason.APP_REJECTED, Reason.KEY_DISABLED_OUTSIDE, Reason.LIMIT_EXHAUSTED, Reason.ROLLOUT_STUCK,
            Reason.ADOPTION_REFUSED);
    /** The conditions Ready is the conjunction of, in the order their reasons are reported. */
    static final List<String> READY_PARTS = List.of(KEY_PROVISIONED, SECRET_SYNCED, KEY_VALID);

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    /** Reasons (CamelCase constants). */
    public static final class Reason {
        public static final String PROVISIONED = "Provisioned";
        public static final String ADOPTED = "Adopted";
        public static final String ADOPTION_REFUSED = "AdoptionRefused";
        public static final String PENDING = "Pending";
        public static final String SYNCED = "Synced";
        public static final String VALID = "Valid";
        public static final String INVALID_SPEC = "InvalidSpec";
        public static final String PROVISIONING_KEY_MISSING = "ProvisioningKeyMissing";
        public static final String PROVISIONING_KEY_REJECTED = "ProvisioningKeyRejected";
        public static final String PROVISIONING_KEY_CHANGED = "ProvisioningKeyChanged";
        public static final String OPENROUTER_UNAVAILABLE = "OpenRouterUnavailable";
        public static final String OPENROUTER_REJECTED = "OpenRouterRejected";
        public static final String RATE_LIMITED = "RateLimited";
        public static final String INSUFFICIENT_CREDITS = "InsufficientCredits";
        public static final String KEY_DISABLED = "KeyDisabled";
        public static final String KEY_DISABLED_OUTSIDE = "KeyDisabledOutside";
        public static final String SECRET_CONFLICT = "SecretConflict";
        public static final String KEY_REVOKED = "KeyRevoked";
        public static final String LIMIT_EXHAUSTED = "LimitExhausted";
        /** A new key that OpenRouter lists but does not accept yet (GET /key answers 401). */
        public static final String KEY_NOT_ACCEPTED_YET = "KeyNotAcceptedYet";
        public static final String AVAILABLE = "Available";
        public static final String APP_PROGRESSING = "AppProgressing";
        public static final String ROTATION_IN_PROGRESS = "RotationInProgress";
        public static final String ROLLOUT_STUCK = "RolloutStuck";
        public static final String IDLE = "Idle";
        /** The key in status is not marked as this installation's key of this MaiClient (a cloned or restored cluster). */
        public static final String KEY_OWNED_ELSEWHERE = "KeyOwnedElsewhere";
        /** AppReady=False: the API server refused the app's Deployment, Service or claim (the message says what it said). */
        public static final String APP_REJECTED = "AppRejected";
        /** SecretSynced=False: the API server refused the Secret write (the message says what it said); no key is made meanwhile. */
        public static final String SECRET_WRITE_FAILED = "SecretWriteFailed";
        /** The Secret was edited to hold or name a key other than this MaiClient's: a new key of its own replaced it. */
        public static final String SECRET_TAMPERED = "SecretTampered";
        /** AppRestricted=True: the pod passes Pod Security restricted. */
        public static final String RESTRICTED = "Restricted";
        /** AppRestricted=False (also the Warning event): spec.app.securityProfile is baseline. */
        public static final String BASELINE_REQUESTED = "BaselineRequested";

        /** BudgetLow=True: a threshold of spec.budgetAlerts was crossed in this period. */
        public static final String THRESHOLD_CROSSED = "ThresholdCrossed";
        /** BudgetLow=False: the period's spend is below every threshold. */
        public static final String WITHIN_BUDGET = "WithinBudget";
        /** BudgetLow=False: no spending limit, so nothing to alert on. */
        public static final String NO_LIMIT = "NoLimit";
        /** Paused=True: mai.dev/paused is "true". */
        public static final String PAUSED = "Paused";

        private Reason() {
        }
    }

    private Conditions() {
    }

    /** The condition of that type, if the status has it. */
    public static Optional<Condition> find(MaiClientStatus status, String type) {
        if (status == null || status.getConditions() == null) {
            return Optional.empty();
        }
        return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** True when the status has that condition with status True for this generation. */
    public static boolean isTrueFor(MaiClientStatus status, String type, Long generation) {
        return find(status, type)
                .filter(c -> TRUE.equals(c.getStatus()) && Objects.equals(c.getObservedGeneration(), generation))
                .isPresent();
    }

    /** Sets one condition on {@code status}, keeping its transition time when nothing about it changed. */
    static void set(MaiClientStatus status, String type, String value, String reason, String message,
            Long generation, Instant now) {
        List<Condition> conditions = new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions());
        Optional<Condition> previous = conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
        String transition = previous
                .filter(p -> value.equals(p.getStatus()) && reason.equals(p.getReason()) && message.equals(p.getMessage()))
                .map(Condition::getLastTransitionTime)
                .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
        Condition next = new ConditionBuilder()
                .withType(type)
                .withStatus(value)
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build();
        previous.ifPresentOrElse(p -> conditions.set(conditions.indexOf(p), next), () -> conditions.add(next));
        status.setConditions(conditions);
    }

    /** Removes the condition of that type (AppReady once spec.app is gone). */
    static void remove(MaiClientStatus status, String type) {
        if (find(status, type).isPresent()) {
            List<Condition> conditions = new ArrayList<>(status.getConditions());
            conditions.removeIf(c -> type.equals(c.getType()));
            status.setConditions(conditions);
        }
    }

    /** Sets every condition that is not there yet to Unknown (the first visit). */
    static void initialise(MaiClientStatus status, Long generation, Instant now) {
        for (String type : List.of(KEY_PROVISIONED, SECRET_SYNCED, KEY_VALID, READY, ROTATING)) {
            if (find(status, type).isEmpty()) {
                set(status, type, UNKNOWN, Reason.PENDING, "Not reconciled yet", generation, now);
            }
        }
    }

    /**
     * The conditions still at "Not reconciled yet" after a reconcile stopped at {@code blocker} (a
     * condition that needs a person) say so, instead of sending people to look for a missing operator.
     */
    static void blockedBy(MaiClientStatus status, String blocker, Long generation, Instant now) {
        Condition cause = find(status, blocker).orElse(null);
        if (cause == null) {
            return;
        }
        for (String type : List.of(KEY_PROVISIONED, SECRET_SYNCED, KEY_VALID, ROTATING)) {
            find(status, type).filter(c -> UNKNOWN.equals(c.getStatus()) && Reason.PENDING.equals(c.getReason()))
                    .ifPresent(c -> set(status, type, UNKNOWN, cause.getReason(), "Waits for " + blocker + " (" + cause.getReason()
                            + ") to be resolved", generation, now));
        }
    }

    /**
     * Ready from its parts: False with the reason of the first False part, else Unknown with the
     * first Unknown part's, else True.
     */
    static void deriveReady(MaiClientStatus status, Long generation, Instant now) {
        List<String> parts = new ArrayList<>(READY_PARTS);
        if (find(status, APP_READY).isPresent()) {
            parts.add(APP_READY); // with spec.app, Ready also waits for the application
        }
        for (String wanted : List.of(FALSE, UNKNOWN)) {
            for (String part : parts) {
                Optional<Condition> c = find(status, part).filter(x -> wanted.equals(x.getStatus()));
                if (c.isPresent()) {
                    set(status, READY, wanted, c.get().getReason(), c.get().getMessage(), generation, now);
                    return;
                }
            }
        }
        if (READY_PARTS.stream().allMatch(p -> find(status, p).isPresent())) {
            set(status, READY, TRUE, Reason.PROVISIONED, parts.contains(APP_READY)
                    ? "Key provisioned, Secret synced, key valid and application available"
                    : "Key provisioned, Secret synced and key valid", generation, now);
        } else {
            set(status, READY, UNKNOWN, Reason.PENDING, "Not reconciled yet", generation, now);
        }
    }

    /**
     * Reconciling and Stalled from Ready (and Paused), with kstatus's meaning, so Flux, Helm's --wait
     * and kpt judge a MaiClient right: Ready=True, a key disabled by spec.disableKey (what was asked)
     * or a pause leave both False; a terminal reason (see {@link #TERMINAL}) or a stuck rollout is
     * Stalled; anything else not Ready is Reconciling. Both mirror the reason and message they follow.
     */
    static void deriveKstatus(MaiClientStatus status, Long generation, Instant now) {
        Optional<Condition> paused = find(status, PAUSED).filter(c -> TRUE.equals(c.getStatus()));
        Optional<Condition> stuck = find(status, ROTATING)
                .filter(c -> TRUE.equals(c.getStatus()) && Reason.ROLLOUT_STUCK.equals(c.getReason()));
        Condition ready = find(status, READY).orElse(new ConditionBuilder().withStatus(UNKNOWN).withReason(Reason.PENDING)
                .withMessage("Not reconciled yet").build());
        Condition cause = paused.or(() -> stuck).orElse(ready);
        String state;
        if (paused.isPresent()) {
            state = null;
        } else if (stuck.isPresent() || FALSE.equals(ready.getStatus()) && TERMINAL.contains(ready.getReason())) {
            state = STALLED;
        } else if (TRUE.equals(ready.getStatus()) || Reason.KEY_DISABLED.equals(ready.getReason())) {
            state = null;
        } else {
            state = RECONCILING;
        }
        for (String type : List.of(RECONCILING, STALLED)) {
            set(status, type, type.equals(state) ? TRUE : FALSE, cause.getReason(), cause.getMessage(), generation, now);
        }
    }
}
