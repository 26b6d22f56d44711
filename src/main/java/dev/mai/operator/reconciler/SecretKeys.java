package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import dev.mai.operator.api.v1alpha1.MaiClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Observes which key the client's Secret holds, and whether to believe it. Data in a Secret is a
 * claim: a key whose digest does not verify, or that a fresh read does not show as this client's,
 * is neither used nor touched, and the Secret counts as tampered with.
 */
@ApplicationScoped
public class SecretKeys {

    private final ClientSecrets secrets;
    private final KeyLifecycle lifecycle;
    private final Revocations revocations;
    private final Stops stops;

    public SecretKeys(ClientSecrets secrets, KeyLifecycle lifecycle, Revocations revocations, Stops stops) {
        this.secrets = secrets;
        this.lifecycle = lifecycle;
        this.revocations = revocations;
        this.stops = stops;
    }

    /**
     * Finds the client's Secret, and after a rename of spec.secret.name the one under its old name —
     * also when the new one exists already: a crash or a failed delete after the move must not leave a
     * live copy of the key in the old Secret. With an unfinished create, what the Secret holds decides
     * which keys are deleted: both are read fresh. Throws {@link SecretConflict} when a Secret of the
     * client's name is not this MaiClient's.
     */
    void find(Pass p) {
        p.secret = secrets.find(p.client, p.context, p.secretName, p.unfinished);
        if (p.before.getSecretName() != null && !p.before.getSecretName().equals(p.secretName)) {
            p.previous = secrets.findOwn(p.client, p.context, p.before.getSecretName(), p.unfinished);
        }
        p.keySource = p.secret.isPresent() ? p.secret : p.previous;
    }

    /**
     * Which key the Secret holds ({@code p.hash}, {@code p.key}), whether it was tampered with, and
     * why the key status records is replaced if the Secret no longer holds it (then it waits in
     * pendingRevocations). Ends the reconcile when a fresh read shows the key status records as
     * another installation's.
     */
    Optional<UpdateControl<MaiClient>> resolve(Pass p) {
        // taking a client over from another installation: the key its Secret holds is that installation's
        p.stored = p.takingOver ? Optional.empty() : p.keySource.flatMap(s -> secrets.stored(s, p.client, p.before.getKeyHash()));
        if (p.stored.isPresent() && p.before.getKeyHash() != null && !p.stored.get().hash().equals(p.before.getKeyHash())) {
            rereadOnDisagreement(p);
        }
        Optional<KeyLifecycle.Owned> proven = Optional.empty();
        if (p.stored.isPresent() && p.stored.get().legacy()) {
            Optional<Optional<KeyLifecycle.Owned>> legacy = believeLegacyOnce(p);
            if (legacy.isEmpty()) {
                return stops.ownedElsewhere(p);
            }
            proven = legacy.get();
        }
        p.hash = p.stored.map(EnvSecret.Stored::hash).orElse(null);
        p.key = p.stored.map(EnvSecret.Stored::key);
        if (p.hash == null && p.keySource.flatMap(EnvSecret::storedKey).isPresent() && !p.takingOver) {
            p.tampered = true; // a key whose digest does not verify: edited by hand, or written by someone else
        }
        recordReplacement(p);
        p.observed = proven.filter(k -> k.hash().equals(p.hash)).orElse(null);
        return Optional.empty();
    }

    /**
     * Secret and status disagree (a crash between the two writes, or an old copy of the Secret put
     * back): decided on a fresh read of the Secret and of the key, never on the cache alone. Only this
     * client's own unfinished create can have put a newer key there, and only a key OpenRouter shows as
     * this client's is one: otherwise the Secret was tampered with. The key it names is neither
     * believed nor touched; the key in status is still this client's and is replaced.
     */
    private void rereadOnDisagreement(Pass p) {
        String name = p.keySource.get().getMetadata().getName();
        Optional<Secret> fresh = secrets.find(p.client, p.context, name, true);
        if (name.equals(p.secretName)) {
            p.secret = fresh;
        } else {
            p.previous = fresh;
        }
        p.stored = fresh.flatMap(s -> secrets.stored(s, p.client, p.before.getKeyHash()));
        p.mustRead = true;
        if (p.stored.isPresent() && !p.stored.get().hash().equals(p.before.getKeyHash())
                && (!p.unfinished || !lifecycle.prove(p.client, p.managementKey, p.stored.get().hash()).ours())) {
            p.stored = Optional.empty();
            p.tampered = true;
        }
    }

    /**
     * A digest from before the operator held a secret proves nothing: believed once, on a fresh read
     * that shows the key as this client's; the Secret is then rewritten with a keyed digest. Returns
     * the key as the read showed it (empty when the value is not that key), or nothing at all when
     * the key status records is another installation's.
     */
    private Optional<Optional<KeyLifecycle.Owned>> believeLegacyOnce(Pass p) {
        EnvSecret.Stored legacy = p.stored.get();
        KeyLifecycle.Proof proof = lifecycle.prove(p.client, p.managementKey, legacy.hash());
        if (proof.foreign() && legacy.hash().equals(p.before.getKeyHash())) {
            return Optional.empty();
        }
        boolean sameKey = proof.key().map(k -> k.info().labelAllows(legacy.key())).orElse(true);
        if (proof.foreign() || !sameKey) {
            // another's key, or a value the key's masked label shows is not that key
            p.stored = Optional.empty();
            p.tampered = true;
        }
        p.mustRead = true;
        return Optional.of(proof.key().filter(k -> sameKey));
    }

    /** The key status records, no longer in the Secret, waits in pendingRevocations (once). */
    private void recordReplacement(Pass p) {
        MaiClientStatus before = p.before;
        List<PendingRevocation> pending = new ArrayList<>(Optional.ofNullable(before.getPendingRevocations()).orElse(List.of()));
        p.replacedWhy = KeyPlan.replacedWhy(before.getKeyHash(), p.hash, p.tampered, p.secretName);
        if (p.replacedWhy != null && pending.stream().noneMatch(r -> before.getKeyHash().equals(r.getHash()))) {
            pending.add(revocations.forced(before.getKeyHash(), p.now));
        }
        p.status.setPendingRevocations(pending);
    }
}
