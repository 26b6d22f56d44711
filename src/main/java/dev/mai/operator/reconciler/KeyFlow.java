package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.APP_READY;
import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.KEY_VALID;
import static dev.mai.operator.reconciler.Conditions.ROTATING;
import static dev.mai.operator.reconciler.Conditions.SECRET_SYNCED;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.Instants;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.core.Money;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The key's lifecycle in one reconcile, step by step ({@link #run} is the table of contents):
 * <ol>
 * <li>find the Secret and the key it holds, and whether to believe it ({@link SecretKeys}); the
 *     external user (a warning event when another MaiClient of the namespace has the same default);
 * <li>resolve an unfinished create: delete this client's keys nothing holds (OpenRouter DELETEs), or wait;
 * <li>adopt an existing key (spec.adoptKeyFrom, {@link Adoption}); else keep, create, replace or
 *     rotate the key — {@link KeyPlan} decides, {@link KeyCreation} and {@link Rotation} act; a
 *     rotation whose new key was never stored is undone;
 * <li>look at the key on OpenRouter ({@link KeyCheck}); a key OpenRouter no longer has is replaced;
 *     the key is brought in line with the spec (a PATCH when it differs);
 * <li>write the Secret ({@link ClientSecrets}); roll the consumers ({@link AppRollout});
 * <li>delete old keys whose time has come, restrain the others, move an old key's unspent share to
 *     the key in use (a PATCH) ({@link Revocations}); delete orphans the sweep found ({@link Orphans});
 * <li>the status ({@link StatusBuilder}), its news, and when to come back.
 * </ol>
 * What one reconcile knows as it goes is in its {@link Pass}.
 */
@ApplicationScoped
public class KeyFlow {

    private static final Logger LOG = Logger.getLogger(KeyFlow.class);

    private final SecretKeys secretKeys;
    private final ExternalUsers externalUsers;
    private final KeyLifecycle lifecycle;
    private final KeyCreation creation;
    private final Rotation rotation;
    private final Revocations revocations;
    private final KeyCheck check;
    private final ClientSecrets secrets;
    private final AppRollout apps;
    private final Orphans orphans;
    private final Events events;
    private final ClientMetrics metrics;
    private final Stops stops;
    private final StatusEvents news;
    private final Requeue requeue;
    private final Adoption adoption;
    private final SpendAlerts budget;

    public KeyFlow(SecretKeys secretKeys, ExternalUsers externalUsers, KeyLifecycle lifecycle, KeyCreation creation,
            Rotation rotation, Revocations revocations, KeyCheck check, ClientSecrets secrets, AppRollout apps, Orphans orphans,
            Events events, ClientMetrics metrics, Stops stops, StatusEvents news, Requeue requeue, Adoption adoption, SpendAlerts budget) {
        this.adoption = adoption;
        this.budget = budget;
        this.secretKeys = secretKeys;
        this.externalUsers = externalUsers;
        this.lifecycle = lifecycle;
        this.creation = creation;
        this.rotation = rotation;
        this.revocations = revocations;
        this.check = check;
        this.secrets = secrets;
        this.apps = apps;
        this.orphans = orphans;
        this.events = events;
        this.metrics = metrics;
        this.stops = stops;
        this.news = news;
        this.requeue = requeue;
    }

    UpdateControl<MaiClient> run(Pass p, Optional<KeySweep> sweep) {
        try {
            secretKeys.find(p);
        } catch (SecretConflict conflict) {
            return stops.stop(p, p.statusBuilder().secretConflict(conflict.getMessage()), SECRET_SYNCED, Waits.SLOW_RETRY);
        }
        p.status.setExternalUser(externalUsers.of(p.client, p.context, p.before));
        Optional<UpdateControl<MaiClient>> stop = secretKeys.resolve(p);
        if (stop.isEmpty()) {
            stop = resolveUnfinishedCreate(p);
        }
        if (stop.isEmpty()) {
            stop = obtainKey(p);
        }
        if (stop.isEmpty()) {
            p.status.setKeyHash(p.hash);
            p.mustRead |= undoUnstoredRotation(p);
            stop = check.look(p, sweep);
        }
        if (stop.isEmpty() && p.keyGone) {
            stop = replaceRevoked(p);
        }
        if (stop.isPresent()) {
            return stop.get();
        }
        check.bringInLine(p, sweep);
        String revision = writeSecret(p);
        Rollout rollout = apps.apply(p.client, p.context, p.statusBuilder(), p.secretName, revision);
        Revocations.Outcome old = revocations.revokeDue(p.client, p.managementKey, p.before, p.status, p.hash, p.replacedWhy,
                rollout, p.now);
        p.status.setPendingRevocations(old.remaining());
        if (old.rebalance()) {
            check.rebalance(p); // the old key's unspent share moves to the key in use
        }
        p.status.setKeyCreationStartedAt(null);
        p.status.setProvisioningKeySecretRef(p.source); // the key is known under this management key
        p.seen.filter(o -> !o.orphans().isEmpty()).ifPresent(o -> orphans.collect(p.client, p.context, p.managementKey, o.orphans(),
                sweep));
        return finish(p, rollout, old, sweep);
    }

    /**
     * After a create whose outcome is unknown: this client's keys that neither the Secret, status nor
     * a pending revocation holds are deleted; with none found and none stored, the reconcile waits a
     * moment for OpenRouter's list to show the key before creating another.
     */
    private Optional<UpdateControl<MaiClient>> resolveUnfinishedCreate(Pass p) {
        if (!p.unfinished) {
            return Optional.empty();
        }
        Set<String> keep = new HashSet<>();
        keep.add(p.hash);
        keep.add(p.before.getKeyHash());
        // old keys waiting for their consumers are still in use: never collected here
        Optional.ofNullable(p.before.getPendingRevocations()).orElse(List.of()).forEach(r -> keep.add(r.getHash()));
        Instant startedAt = Instant.parse(p.before.getKeyCreationStartedAt());
        boolean accounted = lifecycle.collectUnfinishedCreate(p.client, p.managementKey, startedAt, keep);
        Duration waited = Duration.between(startedAt, p.now);
        if (!KeyPlan.waitForUnfinishedCreate(p.hash, accounted, waited)) {
            return Optional.empty();
        }
        return Optional.of(stops.stop(p, p.statusBuilder().waitingForUnfinishedCreate(), null,
                KeyRules.UNFINISHED_CREATE_GRACE.minus(waited)));
    }

    /**
     * Adopts the key spec.adoptKeyFrom names ({@link Adoption}), or keeps, rotates, creates or replaces
     * the client's key, as {@link KeyPlan#action} decides.
     */
    private Optional<UpdateControl<MaiClient>> obtainKey(Pass p) {
        Optional<UpdateControl<MaiClient>> adopting = adoption.step(p);
        if (adopting.isPresent() || p.justCreated) {
            return adopting;
        }
        String due = KeyPlan.mayRotate(p.hash, p.before, p.unfinished)
                ? KeyPlan.rotationDue(MaiClientUpdates.annotation(p.client, Labels.ROTATE), p.client.getSpec(), p.before, p.now) : null;
        Optional<KeyLifecycle.Owned> outgoing = Optional.empty();
        if (due != null) {
            KeyLifecycle.Proof proof = lifecycle.prove(p.client, p.managementKey, p.hash);
            if (proof.foreign()) {
                return stops.ownedElsewhere(p);
            }
            outgoing = proof.key();
        }
        boolean leavesBudget = outgoing.isPresent() && rotation.leavesBudget(p.client, p.status, outgoing.get().info(), p.now);
        KeyPlan.Action action = KeyPlan.action(p.hash, p.replacedWhy, outgoing.isPresent(), leavesBudget);
        switch (action) {
            case ROTATE -> p.created(rotation.rotate(p.client, p.context, p.managementKey, p.source, p.secret, p.status,
                    outgoing.get(), due, p.now));
            case KEEP_UNTIL_RESET -> p.rotationWaitsForBudget = true; // rotationDue stays true until the reset
            case CREATE, REPLACE -> {
                return createOrReplace(p, action == KeyPlan.Action.REPLACE);
            }
            case KEEP -> {
                // the key in the Secret stays
            }
        }
        return Optional.empty();
    }

    /**
     * A key for a client that has none, or in place of one its Secret no longer holds. The replaced
     * key still exists (its Secret was lost): it is stopped from spending and its figures carried —
     * once a fresh read shows it is this client's; a key another installation owns gets no successor.
     */
    private Optional<UpdateControl<MaiClient>> createOrReplace(Pass p, boolean replace) {
        String namespace = p.client.getMetadata().getNamespace();
        if (replace && p.keySource.isEmpty()
                && NamespaceLifecycle.terminating(p.context.getClient(), namespace, p.secretName, p.client.getMetadata().getName())) {
            // the namespace controller took the Secret: nothing new can be stored in a namespace being
            // deleted, and freezing the key now would break a key deletionPolicy Retain keeps. The key is
            // left as it is for the MaiClient's deletion, which follows
            LOG.infof("%s/%s: Secret %s is gone with its namespace, which is being deleted; the key is left to the "
                    + "MaiClient's deletion", namespace, p.client.getMetadata().getName(), p.secretName);
            return Optional.of(UpdateControl.noUpdate());
        }
        if (replace) {
            KeyLifecycle.Proof proof = lifecycle.prove(p.client, p.managementKey, p.before.getKeyHash());
            if (proof.foreign()) {
                return stops.ownedElsewhere(p);
            }
            revocations.retire(p.client, p.managementKey, p.before, p.status, p.before.getKeyHash(), proof.key(), p.now);
        }
        if (p.tampered) {
            events.warning(p.client, Reason.SECRET_TAMPERED, "Secret " + p.keySource.map(s -> s.getMetadata().getName())
                    .orElse(p.secretName) + " was edited to hold or name a key other than this MaiClient's. That key was not "
                    + "used or touched; a new key of this MaiClient replaces it");
        }
        if (lifecycle.nothingLeft(p.client, Budget.committedInPeriod(p.status, requeue.clocks(p.now)))) {
            return stops.limitExhausted(p);
        }
        KeyCreation.NewKey created = creation.createAndStore(p.client, p.context, p.managementKey, p.source, p.secret, p.status,
                p.now);
        if (replace) {
            // the old key's value cannot be recovered (OpenRouter shows a key once): it is replaced
            events.warning(p.client, Events.KEY_REPLACED, "Created OpenRouter key " + created.key().info().label()
                    + " to replace the previous key: " + p.replacedWhy);
            metrics.rotated(Events.KEY_REPLACED);
        }
        if (p.takingOver) {
            events.normal(p.client, Events.KEY_TAKEN_OVER, "Took this MaiClient over from another installation ("
                    + Labels.TAKE_OVER + "): created OpenRouter key " + created.key().info().label()
                    + "; the key the other installation owns was left alone");
        }
        p.created(created);
        return Optional.empty();
    }

    /**
     * A rotation whose new key never got stored (its create was undone) leaves the current key listed
     * as pending: it stays the client's key, and what the rotation's start carried is taken back.
     * Returns true when there was such an entry (the key's limit must be brought back on a fresh read).
     */
    private static boolean undoUnstoredRotation(Pass p) {
        List<PendingRevocation> pending = Optional.ofNullable(p.status.getPendingRevocations()).orElse(List.of());
        List<PendingRevocation> current = pending.stream().filter(r -> r.getHash().equals(p.hash)).toList();
        if (current.isEmpty()) {
            return false;
        }
        for (PendingRevocation r : current) {
            if (PendingRevocation.REQUESTED.equals(r.getReason())) {
                p.status.setRotationRequest(null); // the request was not carried out: it stands
            }
            if (r.getUsage() != null && p.status.getCarriedUsage() != null) {
                p.status.setCarriedUsage(Money.cents(new BigDecimal(p.status.getCarriedUsage())
                        .subtract(new BigDecimal(r.getUsage())).max(BigDecimal.ZERO)).toPlainString());
            }
        }
        p.status.setPendingRevocations(pending.stream().filter(r -> !r.getHash().equals(p.hash)).toList());
        return true;
    }

    /** OpenRouter no longer has the key the Secret holds: reported, then a new key replaces it. */
    private Optional<UpdateControl<MaiClient>> replaceRevoked(Pass p) {
        p.statusBuilder().keyRevoked(p.hash);
        news.onChange(p.client, p.before, p.status, KEY_VALID);
        revocations.retire(p.client, p.managementKey, p.before, p.status, p.hash, Optional.empty(), p.now);
        if (lifecycle.nothingLeft(p.client, Budget.committedInPeriod(p.status, requeue.clocks(p.now)))) {
            return stops.limitExhausted(p);
        }
        p.created(creation.createAndStore(p.client, p.context, p.managementKey, p.source, p.secret, p.status, p.now));
        metrics.rotated(Reason.KEY_REVOKED);
        p.verdict = lifecycle.verify(p.managementKey, p.key.get(), p.hash);
        return Optional.empty();
    }

    /**
     * The Secret as it should be, written when it differs (the Secret before the status, so it says
     * which key is in use); after a rename of spec.secret.name the old Secret goes. Returns its revision.
     */
    private String writeSecret(Pass p) {
        Secret desired = secrets.desired(p.client, p.key.get(), p.status);
        p.secret.ifPresent(actual -> EnvSecret.keepRevision(actual, desired));
        if (p.secret.isEmpty() || !EnvSecret.inSync(p.secret.get(), desired)) {
            try {
                secrets.write(p.client, p.context, p.secret, desired);
            } catch (SecretRefused refused) {
                throw new SecretRefused(p.secretName, refused.cause().orElse(null), null, p.secret.isPresent(), desired);
            }
        }
        p.status.setSecretName(p.secretName);
        p.previous.ifPresent(previous -> secrets.deletePrevious(p.client, p.context, previous, p.secretName));
        return desired.getMetadata().getAnnotations().get(Labels.ENV_REVISION);
    }

    /** Every condition from what this reconcile saw and did, the news of it, the write, and when to come back. */
    private UpdateControl<MaiClient> finish(Pass p, Rollout rollout, Revocations.Outcome old, Optional<KeySweep> sweep) {
        StatusBuilder status = p.statusBuilder();
        p.capped.ifPresent(status::heldAtCap); // first: KeyProvisioned is decided once, so its time moves only on a change
        status.provisioned(p.secretName, rollout.missing(), p.tampered, !p.hash.equals(p.before.getKeyHash()), p.before);
        if (!rollout.missing().isEmpty()
                && !StatusBuilder.hasMessage(p.before, SECRET_SYNCED, StatusBuilder.synced(p.secretName, rollout.missing()))) {
            events.warning(p.client, Events.ROLLOUT_TARGET_MISSING, "Rollout targets left alone in namespace "
                    + p.client.getMetadata().getNamespace() + ": " + String.join(", ", rollout.missing()));
        }
        status.rotating(old.remaining(), rollout, old.stuck());
        if (old.stuck() && !old.remaining().isEmpty() && !StatusBuilder.hasReason(p.before, ROTATING, Reason.ROLLOUT_STUCK)) {
            events.warning(p.client, Reason.ROLLOUT_STUCK, Conditions.find(p.status, ROTATING).get().getMessage());
        }
        // a rotation asked for with mai.dev/rotate that waits for its spacing shows when it will run
        p.status.setNextRotationAt(KeyPlan.nextRotationAt(MaiClientUpdates.annotation(p.client, Labels.ROTATE), p.client.getSpec(), p.status, p.now));
        if (p.rotationWaitsForBudget && old.remaining().isEmpty()) {
            status.rotationWaitsForBudget();
        }
        Duration recheck = null;
        if (p.verdict == KeyRules.Verdict.NOT_YET && p.figures != null && !p.figures.disabled()) {
            recheck = status.notAcceptedYet();
        } else if (p.figures != null) {
            status.keyValidity(p.client.getSpec(), p.figures, p.disabledOutside);
        }
        SpendAlerts.Crossings crossings = p.figures == null ? SpendAlerts.Crossings.NONE
                : budget.judge(p.client, status, p.figures, p.now);
        String checked = p.hash; // a key the sweep could not check: KeyValid as last checked, its message says since when
        status.sweepGap(p.before, sweep.flatMap(s -> s.gap(p.client, checked))).ready();
        news.onChange(p.client, p.before, p.status, KEY_VALID);
        if (p.capped.isPresent() || StatusBuilder.hasReason(p.before, KEY_PROVISIONED, Reason.INVALID_SPEC)) {
            news.onChange(p.client, p.before, p.status, KEY_PROVISIONED); // held at a cap, and its end
        }
        if (StatusBuilder.hasReason(p.status, APP_READY, Reason.APP_REJECTED)) {
            news.onChange(p.client, p.before, p.status, APP_READY); // needs a person; a rollout in progress is no news
        }
        UpdateControl<MaiClient> done = stops.stop(p, status, null, null);
        budget.announce(p.client, crossings); // once the status recording the crossings is written
        return nextVisit(p, rollout, old.remaining(), recheck).map(done::rescheduleAfter).orElse(done);
    }

    /** The soonest of the times this client needs looking at again, if any. */
    private Optional<Duration> nextVisit(Pass p, Rollout rollout, List<PendingRevocation> remaining, Duration recheck) {
        List<Duration> rechecks = new ArrayList<>();
        Optional.ofNullable(recheck).ifPresent(rechecks::add);
        // the full limit returns once the period boundary has passed on both clocks: be there to raise it
        Instants.parse(p.status.getCarriedUntil()).ifPresent(at -> rechecks.add(requeue.untilReset(at, p.now)));
        if (p.rotationWaitsForBudget) {
            Instants.parse(p.status.getNextLimitResetAt()).ifPresent(at -> rechecks.add(requeue.untilReset(at, p.now)));
        }
        remaining.forEach(r -> Instants.parse(r.getNotAfter()).filter(p.now::isBefore)
                .ifPresent(at -> rechecks.add(requeue.until(at, p.now))));
        if (remaining.stream().noneMatch(PendingRevocation::waitsForRollout)) {
            // while a rotation waits for its consumers, their informers wake this reconcile, not a timer
            Instants.parse(p.status.getNextRotationAt()).filter(p.now::isBefore).ifPresent(at -> rechecks.add(requeue.until(at, p.now)));
            KeyPlan.requestedRotationAt(MaiClientUpdates.annotation(p.client, Labels.ROTATE), p.status).filter(p.now::isBefore)
                    .ifPresent(at -> rechecks.add(requeue.until(at, p.now)));
        }
        if (!rollout.missing().isEmpty() || rollout.refused()) {
            rechecks.add(Waits.MISSING_KEY_RETRY); // a target created later is not labelled yet, a refused app object may pass now
        }
        return rechecks.stream().min(Duration::compareTo);
    }
}
