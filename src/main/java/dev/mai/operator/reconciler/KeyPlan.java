package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.KEY_VALID;

import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.AdoptionStatus;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.core.GoDuration;
import dev.mai.operator.core.Instants;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.reconciler.Conditions.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The reconcile's decisions about the client's key, from plain facts: keep it, create one, replace
 * one that is gone from its Secret, rotate it (and when), wait for an unfinished create, look at it
 * afresh. Pure: no client, no JOSDK, no clock of its own — table-tested in {@code KeyPlanTest}.
 */
final class KeyPlan {

    private KeyPlan() {
    }

    /** What happens to the client's key in this reconcile. */
    enum Action {
        /** The key in the Secret stays the client's key. */
        KEEP,
        /** A due rotation waits for the limit reset (the new key would start with nothing): the key stays. */
        KEEP_UNTIL_RESET,
        /** The key in use is replaced by a new one while it waits for the consumers (a rotation). */
        ROTATE,
        /** The client has no key yet: one is created. */
        CREATE,
        /** The key status records is no longer in the Secret (deleted, edited): a new key replaces it. */
        REPLACE
    }

    /**
     * The action, from the hash of the key the Secret holds (null: none, or one that is not this
     * client's), why the key status records was replaced (null: it was not), whether a rotation is due
     * and a fresh read proved the key to rotate this client's, and whether a rotation now leaves the new
     * key something to spend.
     */
    static Action action(String hash, String replacedWhy, boolean rotationDueAndProven, boolean rotationLeavesBudget) {
        if (rotationDueAndProven) {
            return rotationLeavesBudget ? Action.ROTATE : Action.KEEP_UNTIL_RESET;
        }
        if (hash == null) {
            return replacedWhy == null ? Action.CREATE : Action.REPLACE;
        }
        return Action.KEEP;
    }

    /** What becomes of spec.adoptKeyFrom in this reconcile. */
    enum AdoptionStep {
        /** Nothing to adopt: no spec.adoptKeyFrom, or the MaiClient adopted its key already (adoption happens once). */
        NONE,
        /** The client has no key: the key named is adopted instead of creating one. */
        ADOPT,
        /** An adoption recorded its intent and has not stored its key yet (a restart, a failed write): it goes on. */
        RESUME,
        /** An adoption under way whose key the Secret already holds: what is left is to record it as done. */
        FINISH,
        /** The client has a key already: nothing is adopted, and status says so. */
        HAS_KEY,
        /** This generation's adoption failed its proof of possession: not tried again until the spec changes. */
        FAILED
    }

    /**
     * The adoption step, from spec.adoptKeyFrom ({@code from}), what status says of adoption and of
     * the key ({@code before}), the hash of the key the Secret holds (null: none), whether a create is
     * unfinished and the MaiClient's generation. An adoption under way is finished or resumed whatever
     * the spec says now: its one write to the key must be carried through or undone.
     */
    static AdoptionStep adoption(AdoptKeyFrom from, MaiClientStatus before, String hash, boolean unfinished, Long generation) {
        AdoptionStatus adoption = before.getAdoption();
        if (adoption != null && adoption.underWay()) {
            return hash != null ? AdoptionStep.FINISH : AdoptionStep.RESUME;
        }
        if (from == null || adoption != null && adoption.getAdoptedAt() != null) {
            return AdoptionStep.NONE;
        }
        if (hash != null || before.getKeyHash() != null || unfinished) {
            return AdoptionStep.HAS_KEY;
        }
        if (adoption != null && Objects.equals(adoption.getFailedGeneration(), generation)) {
            return AdoptionStep.FAILED;
        }
        return AdoptionStep.ADOPT;
    }

    /**
     * Why the key status records ({@code recorded}) is being replaced, or null when the Secret still
     * holds it ({@code hash}: the key the Secret holds, null when none or not this client's).
     */
    static String replacedWhy(String recorded, String hash, boolean tampered, String secretName) {
        if (recorded == null || recorded.equals(hash)) {
            return null;
        }
        return hash != null ? "a newer key is in Secret " + secretName
                : tampered ? "the key in Secret " + secretName + " was changed by hand: it holds or names a key other than "
                        + "this MaiClient's"
                : "the Secret holding it was deleted";
    }

    /**
     * An unfinished create whose key neither the Secret holds nor OpenRouter's list showed
     * ({@code accounted}) is waited for while OpenRouter's list may still be catching up.
     */
    static boolean waitForUnfinishedCreate(String hash, boolean accounted, Duration waited) {
        return hash == null && !accounted && waited.compareTo(KeyRules.UNFINISHED_CREATE_GRACE) < 0;
    }

    /**
     * Only the key status already records is rotated, and not while a create is unfinished: a key
     * the Secret holds that status does not know yet is settled first.
     */
    static boolean mayRotate(String hash, MaiClientStatus before, boolean unfinished) {
        return hash != null && hash.equals(before.getKeyHash()) && !unfinished;
    }

    /**
     * Why the current key should be rotated now, or null: a new value of {@code mai.dev/rotate}
     * ({@code asked}; at most once per {@link Waits#ROTATE_REQUEST_SPACING}), or spec.rotation.every
     * passed. One rotation at a time: while an old key waits for the consumers, nothing new starts; a
     * disabled key is not rotated on schedule.
     */
    static String rotationDue(String asked, MaiClientSpec spec, MaiClientStatus before, Instant now) {
        if (Optional.ofNullable(before.getPendingRevocations()).orElse(List.of()).stream().anyMatch(PendingRevocation::waitsForRollout)) {
            return null;
        }
        if (requestedRotationAt(asked, before).filter(at -> !now.isBefore(at)).isPresent()) {
            return PendingRevocation.REQUESTED;
        }
        boolean disabled = Boolean.TRUE.equals(spec.getDisableKey())
                || StatusBuilder.hasReason(before, KEY_VALID, Reason.KEY_DISABLED_OUTSIDE);
        return !disabled && nextRotation(spec, before.getKeyCreatedAt()).filter(at -> !now.isBefore(at)).isPresent()
                ? PendingRevocation.SCHEDULED : null;
    }

    /** When a rotation asked for with a new {@code mai.dev/rotate} value ({@code asked}) may happen; empty when none is asked. */
    static Optional<Instant> requestedRotationAt(String asked, MaiClientStatus status) {
        if (asked == null || asked.equals(status.getRotationRequest())) {
            return Optional.empty();
        }
        return Optional.of(Instants.parse(status.getKeyCreatedAt()).map(c -> c.plus(Waits.ROTATE_REQUEST_SPACING))
                .orElse(Instant.EPOCH));
    }

    /** When spec.rotation replaces a key created at {@code keyCreatedAt}. */
    static Optional<Instant> nextRotation(MaiClientSpec spec, String keyCreatedAt) {
        var rotation = spec.getRotation();
        Optional<Duration> every = rotation == null ? Optional.empty() : GoDuration.parse(rotation.getEvery());
        return every.flatMap(e -> Instants.parse(keyCreatedAt).map(c -> c.plus(e)));
    }

    /** status.nextRotationAt: the schedule's next rotation, or an asked-for one waiting for its spacing if sooner. */
    static String nextRotationAt(String asked, MaiClientSpec spec, MaiClientStatus status, Instant now) {
        Optional<Instant> requested = requestedRotationAt(asked, status).filter(now::isBefore);
        return nextRotation(spec, status.getKeyCreatedAt())
                .map(at -> requested.filter(r -> r.isBefore(at)).orElse(at)).or(() -> requested)
                .map(Instant::toString).orElse(null);
    }

    /** True while the current key is within its propagation window. */
    static boolean young(MaiClientStatus status, MaiClientStatus before, Instant now) {
        String created = Optional.ofNullable(status.getKeyCreatedAt()).orElse(before.getKeyCreatedAt());
        return Instants.parse(created).map(c -> Duration.between(c, now).compareTo(KeyRules.PROPAGATION) < 0).orElse(true);
    }

    /**
     * Whether this operator disabled the current key ({@code status.keyDisabledByOperator}); for a
     * status an earlier version wrote, which has no such field, its KeyDisabled reason.
     */
    static boolean disabledByOperator(MaiClientStatus before, String hash) {
        if (!Objects.equals(before.getKeyHash(), hash)) {
            return false; // another key: what status says is about the one before
        }
        if (before.getKeyDisabledByOperator() != null) {
            return before.getKeyDisabledByOperator();
        }
        return StatusBuilder.hasReason(before, KEY_VALID, Reason.KEY_DISABLED);
    }

    /**
     * What the last sweep saw of the key calls for a fresh read: the key is gone or not this client's,
     * there is something to patch, or it is disabled in a way status does not show.
     */
    static boolean sweepCallsForRead(Observation seen, KeyRules.Plan plan, boolean knownDisabledOutside) {
        return seen.gone() || seen.foreign() || !plan.patch().isEmpty() || plan.disabledOutside() != knownDisabledOutside;
    }

    /**
     * The key as the application uses it is checked ({@code GET /key} with the key itself) when it was
     * just created, when it did not authenticate yet last time, or when the sweep found it gone.
     */
    static boolean verifyWithKey(boolean justCreated, boolean awaitingAuth, boolean sweepFoundGone) {
        return justCreated || awaitingAuth || sweepFoundGone;
    }

    /**
     * OpenRouter is asked about the key (a fresh read, and a PATCH when it differs from the spec)
     * unless the last sweep's figures will do: always after a change to the key, a disagreement, a
     * verdict of revoked, or while KeyProvisioned is not True for this generation (a spec change).
     */
    static boolean readKey(boolean revoked, boolean provenThisReconcile, boolean mustRead, boolean sweepCallsForRead,
            boolean awaitingAuth, MaiClientStatus before, Long generation) {
        return revoked || provenThisReconcile || mustRead || sweepCallsForRead || awaitingAuth
                || !Conditions.isTrueFor(before, KEY_PROVISIONED, generation);
    }
}
