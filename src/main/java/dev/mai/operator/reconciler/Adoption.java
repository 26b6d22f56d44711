package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;

import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.AdoptionStatus;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.KeyAdoption;
import dev.mai.operator.core.DotEnv;
import dev.mai.operator.core.Instants;
import dev.mai.operator.core.KeyDigest;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.core.Money;
import dev.mai.operator.core.Names;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CallerKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Takes over an existing key (spec.adoptKeyFrom) instead of creating one, once per MaiClient, in
 * namespaces an administrator opened to it (MAI_ADOPTION_NAMESPACES):
 * <ol>
 * <li>the key value is read from the Secret named; {@code GET /key} with it and the account's list
 *     find which key it is ({@link KeyAdoption#choose}: label and figures, a hash only chooses);
 * <li>the intent is recorded in status (a keyed digest of the key, its limit before), with the
 *     resourceVersion this reconcile read: a stale operator stops here;
 * <li>possession is proven: the key's limit is raised by a random amount and {@code GET /key} with
 *     the value must show it — a key of another account with the same label and figures cannot
 *     (on failure the limit is put back and this generation is not tried again);
 * <li>the key is renamed with this client's mark and gets the spec's limit and reset, its spend kept
 *     ({@link KeyAdoption#patch}); the Secret is written; status says the adoption is done.
 * </ol>
 * The proof's PATCH is the one write to a key not yet proven this client's. A restart resumes from
 * the intent: a key already renamed is this client's (only a proven key is renamed), one that is not
 * gets its limit back and the adoption starts over. Refusals write nothing to OpenRouter and say what
 * to do, never anything about the account's other keys.
 */
@ApplicationScoped
public class Adoption {

    private static final Logger LOG = Logger.getLogger(Adoption.class);
    private static final String FIELD = "spec.adoptKeyFrom";
    private static final String UNLIMITED = "unlimited";

    private final OpenRouterKeys keys;
    private final KeyLifecycle lifecycle;
    private final ClientSecrets secrets;
    private final DigestKey digestKey;
    private final InstallationId installation;
    private final MaiConfig config;
    private final Events events;
    private final Stops stops;
    private final StatusEvents news;
    private final SecureRandom random = new SecureRandom();
    /** One monitor per key ever adopted here, never removed: a thread waiting on one must not see it replaced. */
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Proofs proofs = new Proofs();

    public Adoption(OpenRouterKeys keys, KeyLifecycle lifecycle, ClientSecrets secrets, DigestKey digestKey,
            InstallationId installation, MaiConfig config, Events events, Stops stops, StatusEvents news) {
        this.news = news;
        this.keys = keys;
        this.lifecycle = lifecycle;
        this.secrets = secrets;
        this.digestKey = digestKey;
        this.installation = installation;
        this.config = config;
        this.events = events;
        this.stops = stops;
    }

    /**
     * The adoption step {@link KeyPlan#adoption} chose. Returns the reconcile's end when it stops here;
     * empty when the flow goes on — with the adopted key in {@code p} when one was adopted.
     */
    Optional<UpdateControl<MaiClient>> step(Pass p) {
        AdoptKeyFrom from = p.client.getSpec().getAdoptKeyFrom();
        KeyPlan.AdoptionStep step = KeyPlan.adoption(from, p.before, p.hash, p.unfinished, p.generation());
        switch (step) {
            case NONE -> {
                if (from == null) {
                    p.statusBuilder().adoptionForgotten();
                }
                return Optional.empty();
            }
            case HAS_KEY -> {
                // the key in use stays; a restored cluster whose status was lost lands here too, and must not stop
                p.statusBuilder().adoptionIgnored(FIELD + " is acted on only for a MaiClient that has no key yet, and this one "
                        + "has one (a MaiClient adopts once): nothing was adopted; remove the field");
                news.onChange(p.client, p.before, p.status, Conditions.ADOPTED); // once, when it becomes so
                return Optional.empty();
            }
            case FAILED -> {
                return refuse(p, FIELD, NOT_HERE, null);
            }
            case FINISH -> {
                finish(p);
                return Optional.empty();
            }
            default -> {
                return adopt(p);
            }
        }
    }

    /**
     * One answer for every refusal that would otherwise say something about the account's keys (none
     * matches, a hash names none, a key is managed, the proof failed, a key changed meanwhile): whoever
     * holds a leaked value must not learn from it whether that key is on this account. The reason is
     * in the operator's log.
     */
    private static final String NOT_HERE = "holds a key that cannot be adopted here: it is not a key of this operator's "
            + "OpenRouter account that this MaiClient may take over (found by its label and figures, marked by no owner the "
            + "administrator does not allow, and proven to be the key given; a limit changed to prove possession is put back). "
            + "An administrator finds the reason in the operator's log; tried again later, or at once when the spec changes";

    /** Adopts the key of the Secret the spec names, or carries an adoption under way through or back. */
    private Optional<UpdateControl<MaiClient>> adopt(Pass p) {
        AdoptionStatus intent = Optional.ofNullable(p.before.getAdoption()).filter(AdoptionStatus::underWay).orElse(null);
        if (intent != null) {
            return resume(p, intent);
        }
        AdoptKeyFrom from = p.client.getSpec().getAdoptKeyFrom();
        if (!opened(p)) {
            return refuse(p, FIELD, "is not allowed in namespace " + p.client.getMetadata().getNamespace() + ": its "
                    + "administrator has not opened it to adoption (the operator setting MAI_ADOPTION_NAMESPACES selects the "
                    + "namespaces that may adopt keys; looked at again every 30 s)", Waits.MISSING_KEY_RETRY);
        }
        Optional<Secret> source = source(p, from.getName());
        if (source.isEmpty()) {
            return refuse(p, FIELD + ".name", "names no Secret of this namespace: create it (kubectl create secret generic "
                    + from.getName() + " --from-env-file=.env); looked for again every 30 s", Waits.MISSING_KEY_RETRY);
        }
        Optional<ApiKey> value = entry(source.get(), from.entry());
        if (value.isEmpty()) {
            return refuse(p, FIELD + ".key", "names no entry of Secret " + from.getName() + " that holds a value (" + from.entry()
                    + "; it has " + String.join(", ", entries(source.get())) + "): set adoptKeyFrom.key to the entry holding "
                    + "the key", Waits.MISSING_KEY_RETRY);
        }
        if (!KeyAdoption.keyShaped(value.get())) {
            return refuse(p, FIELD, "names a Secret entry that does not hold a key of OpenRouter's shape (sk-or-v1- and 64 "
                    + "lower-case hex digits)", Waits.SLOW_RETRY);
        }
        Optional<CallerKey> self = keys.describe(value.get());
        List<KeyInfo> listed = keys.list(p.managementKey);
        KeyAdoption.Verdict verdict = KeyAdoption.choose(FIELD, value.get(), self, listed, from.getHash(), adopter(p));
        if (verdict instanceof KeyAdoption.Refuse refused) {
            if (refused.aboutTheAccount()) {
                return notHere(p, refused.field() + " " + refused.rule(), Waits.SLOW_RETRY);
            }
            return refuse(p, refused.field(), refused.rule(), Waits.SLOW_RETRY);
        }
        KeyAdoption.Adopt chosen = (KeyAdoption.Adopt) verdict;
        if (chosen.resumed()) {
            // marked as this client's, and no intent of this client names it: a key this MaiClient had before
            return notHere(p, "the key is already marked as this MaiClient's", Waits.SLOW_RETRY);
        }
        Optional<Instant> blocked = proofs.blockedUntil(chosen.key().hash(), p.now);
        if (blocked.isPresent()) {
            return notHere(p, "proofs of possession of key " + chosen.key().hash() + " failed before: the next is allowed at "
                    + blocked.get(), Duration.between(p.now, blocked.get()));
        }
        // one adoption of a key at a time in this operator: two MaiClients may name the same value
        synchronized (locks.computeIfAbsent(chosen.key().hash(), h -> new Object())) {
            return takeOver(p, from, value.get(), chosen.key());
        }
    }

    /**
     * Proves and takes over {@code found}: a fresh read first (nothing changed since the listing), the
     * intent, the challenge, the rename, the Secret.
     */
    private Optional<UpdateControl<MaiClient>> takeOver(Pass p, AdoptKeyFrom from, ApiKey value, KeyInfo found) {
        Optional<KeyInfo> fresh = keys.get(p.managementKey, found.hash());
        if (fresh.isEmpty() || fresh.get().disabled() || !Objects.equals(fresh.get().name(), found.name())
                || !Money.sameCents(fresh.get().limit(), found.limit())) {
            return notHere(p, "key " + found.hash() + " changed between the listing and its fresh read", Waits.MISSING_KEY_RETRY);
        }
        byte[] secret = digestKey.get();
        String uid = p.client.getMetadata().getUid();
        secrets.dryRun(p.client, p.context, p.secret, p.status, p.now);
        AdoptionStatus intent = new AdoptionStatus();
        intent.setFrom(from.getName());
        intent.setEntry(from.entry());
        intent.setStartedAt(p.now.truncatedTo(ChronoUnit.SECONDS).toString());
        intent.setCandidate(KeyDigest.candidate(secret, uid, found.hash()));
        intent.setKeyDigest(KeyDigest.adoption(secret, uid, found.hash(), value));
        intent.setPreviousLimit(found.limit() == null ? UNLIMITED : Money.cents(found.limit()).toPlainString());
        BigDecimal challenge = KeyAdoption.challengeLimit(found.limit(), 1 + random.nextInt(KeyAdoption.CHALLENGES));
        intent.setChallenge(KeyDigest.challenge(secret, uid, found.hash(), Money.cents(challenge).toPlainString()));
        p.status.setAdoption(intent);
        p.status.setProvisioningKeySecretRef(p.source); // the account the adopted key lives on
        p.statusBuilder().initialise();
        StatusWrites.write(p.client, p.context, new MaiClientStatus(p.status), p.now);

        KeyInfo challenged = keys.update(p.managementKey, found.hash(), new KeyPatch().limit(challenge));
        Optional<CallerKey> proof;
        try {
            proof = keys.describe(value);
        } catch (OpenRouterException e) {
            // counted as a failure (a tenant may be able to make its own key's GET /key fail); the intent stays, and
            // the next reconcile puts the limit back
            proofs.failed(found.hash(), p.now);
            throw e;
        }
        if (!KeyAdoption.proves(proof, challenge)) {
            return failedProof(p, found, challenge);
        }
        KeyPatch patch = KeyAdoption.patch(challenged, lifecycle.desired(p.client, BigDecimal.ZERO).name(),
                Money.limit(p.client.getSpec().getSpendingLimit()), p.client.getSpec().getLimitReset());
        boolean spentOut = Boolean.TRUE.equals(patch.fields().get("disabled"));
        if (Boolean.TRUE.equals(p.client.getSpec().getDisableKey())) {
            patch.disabled(true);
        }
        KeyInfo renamed = keys.update(p.managementKey, found.hash(), patch);
        KeyLifecycle.Owned owned = lifecycle.adopted(p.client, renamed).orElseThrow(() -> new IllegalStateException(
                "OpenRouter's answer to the adoption's rename does not carry this MaiClient's mark"));
        p.status.setKeyDisabledByOperator(renamed.disabled() ? Boolean.TRUE : null);
        if (spentOut) {
            events.warning(p.client, Events.KEY_ADOPTED, "The adopted key has spent " + Money.cents(renamed.usageInPeriod()).toPlainString()
                    + " USD in this period, at or above spec.spendingLimit: it was disabled until the limit resets or is raised");
        }
        store(p, from, value, owned);
        return Optional.empty();
    }

    /**
     * The proof failed: the limit goes back (after a fresh read shows the challenge still there), the
     * intent is cleared, this generation is not tried again, and further proofs of that key wait.
     */
    private Optional<UpdateControl<MaiClient>> failedProof(Pass p, KeyInfo found, BigDecimal challenge) {
        putBack(p.client, p.managementKey, found.hash(), p.status.getAdoption());
        Instant next = proofs.failed(found.hash(), p.now);
        LOG.warnf("%s/%s: the key in Secret %s did not prove to be OpenRouter key %s of this account (its GET /key did not "
                + "show the challenge); the key's limit was put back. Next proof of that key not before %s",
                p.client.getMetadata().getNamespace(), p.client.getMetadata().getName(), p.status.getAdoption().getFrom(),
                found.hash(), next);
        AdoptionStatus failed = new AdoptionStatus();
        failed.setFailedGeneration(p.generation());
        p.status.setAdoption(failed);
        return refuse(p, FIELD, NOT_HERE, null);
    }

    /**
     * An adoption under way after a restart, a lost answer or a failed write. The key it renamed is
     * this client's and is stored; a key it did not rename yet gets its limit back, and the reconcile
     * ends there, so that the next decides afresh from the spec and the namespace as they are now.
     */
    private Optional<UpdateControl<MaiClient>> resume(Pass p, AdoptionStatus intent) {
        Optional<KeyInfo> candidate = candidate(p.client, p.managementKey, intent);
        Optional<KeyLifecycle.Owned> ours = candidate.flatMap(k -> lifecycle.adopted(p.client, k));
        if (ours.isPresent()) {
            byte[] secret = digestKey.get();
            Optional<ApiKey> value = read(p, recorded(intent)).filter(v -> KeyDigest.matches(intent.getKeyDigest(),
                    KeyDigest.adoption(secret, p.client.getMetadata().getUid(), ours.get().hash(), v)));
            if (value.isEmpty()) {
                return refuse(p, FIELD + ".name", "Secret " + intent.getFrom() + " no longer holds, under " + intent.getEntry()
                        + ", the key whose adoption is under way: put that key back there and the adoption finishes",
                        Waits.MISSING_KEY_RETRY);
            }
            store(p, recorded(intent), value.get(), ours.get());
            return Optional.empty();
        }
        if (candidate.isEmpty() && Instants.parse(intent.getStartedAt())
                .filter(at -> p.now.isBefore(at.plus(KeyRules.UNFINISHED_CREATE_GRACE))).isPresent()) {
            // OpenRouter's list may not show a key it just changed: the intent is kept, so its limit can still be put back
            return Optional.of(UpdateControl.<MaiClient>noUpdate().rescheduleAfter(Waits.PROPAGATION_RECHECK));
        }
        candidate.ifPresent(k -> putBack(p.client, p.managementKey, k.hash(), intent));
        p.status.setAdoption(null);
        return Optional.of(stops.stop(p, p.statusBuilder(), null, Waits.PROPAGATION_RECHECK));
    }

    /**
     * The finalizer's part when a MaiClient goes while its adoption is under way: a key the adoption
     * renamed but did not store is kept, marked retained (the adoption never finished, and whoever held
     * the key before may still use it); one it did not rename gets its limit back. Nothing when the
     * key is one {@code held} names already (the deletion's policy applies to it).
     */
    void release(MaiClient client, ApiKey managementKey, MaiClientStatus status, java.util.Set<String> held) {
        AdoptionStatus intent = status.getAdoption();
        if (intent == null || !intent.underWay()) {
            return;
        }
        Optional<KeyInfo> candidate = candidate(client, managementKey, intent).filter(k -> !held.contains(k.hash()));
        if (candidate.isEmpty()) {
            return;
        }
        if (lifecycle.adopted(client, candidate.get()).isPresent()) {
            lifecycle.retain(client, managementKey, candidate.get().hash());
            events.warning(client, Events.KEY_ADOPTED, "The adoption of OpenRouter key " + candidate.get().label() + " did not "
                    + "finish before this MaiClient was deleted: the key was kept, marked retained, not deleted");
        } else {
            putBack(client, managementKey, candidate.get().hash(), intent);
        }
    }

    /**
     * An adoption under way whose MaiClient now names another account: a challenge it made on the
     * recorded account ({@code managementKey}) is undone and the intent cleared in {@code status}
     * (true). A key it renamed already is this client's: the intent stays until the account is put
     * back (false), as does one the listing does not show yet.
     */
    boolean withdraw(MaiClient client, ApiKey managementKey, MaiClientStatus status, Instant now) {
        AdoptionStatus intent = status.getAdoption();
        Optional<KeyInfo> candidate = candidate(client, managementKey, intent);
        boolean unlisted = candidate.isEmpty() && Instants.parse(intent.getStartedAt())
                .filter(at -> now.isBefore(at.plus(KeyRules.UNFINISHED_CREATE_GRACE))).isPresent();
        if (unlisted || candidate.flatMap(k -> lifecycle.adopted(client, k)).isPresent()) {
            return false;
        }
        candidate.ifPresent(k -> putBack(client, managementKey, k.hash(), intent));
        status.setAdoption(null);
        return true;
    }

    /** The key an adoption under way names (by its keyed digest), as the account's listing shows it. */
    private Optional<KeyInfo> candidate(MaiClient client, ApiKey managementKey, AdoptionStatus intent) {
        byte[] secret = digestKey.get();
        String uid = client.getMetadata().getUid();
        return keys.list(managementKey).stream()
                .filter(k -> KeyDigest.matches(intent.getCandidate(), KeyDigest.candidate(secret, uid, k.hash()))).findFirst();
    }

    private static BigDecimal previous(AdoptionStatus intent) {
        return UNLIMITED.equals(intent.getPreviousLimit()) || intent.getPreviousLimit() == null ? null
                : new BigDecimal(intent.getPreviousLimit());
    }

    /**
     * Undoes a challenge: the limit the key had, only while a fresh read shows the very limit the
     * challenge gave it (its keyed digest is in the intent) — never over a limit someone set since,
     * never on a key this installation's clients own.
     */
    private void putBack(MaiClient client, ApiKey managementKey, String hash, AdoptionStatus intent) {
        Optional<KeyInfo> fresh = keys.get(managementKey, hash);
        if (fresh.isEmpty() || fresh.get().limit() == null || intent.getChallenge() == null) {
            return;
        }
        boolean ownedHere = Names.keyOwner(fresh.get().name())
                .filter(o -> o.installationId().equals(installation.get()) && !o.retained()).isPresent();
        boolean challenged = KeyDigest.matches(intent.getChallenge(), KeyDigest.challenge(digestKey.get(),
                client.getMetadata().getUid(), hash, Money.cents(fresh.get().limit()).toPlainString()));
        if (challenged && !ownedHere) {
            keys.update(managementKey, hash, new KeyPatch().limit(previous(intent)));
        }
    }

    /** The adopted key goes into the client's Secret, and is the client's key from now on. */
    private void store(Pass p, AdoptKeyFrom from, ApiKey value, KeyLifecycle.Owned owned) {
        KeyInfo key = owned.info();
        p.status.setKeyHash(key.hash());
        p.status.setKeyLabel(key.label());
        // the rotation schedule counts from the adoption: when the key was made is not the operator's to know
        p.status.setKeyCreatedAt(p.now.truncatedTo(ChronoUnit.SECONDS).toString());
        Secret written = secrets.write(p.client, p.context, p.secret, secrets.desired(p.client, value, p.status));
        done(p, from.getName());
        events.normal(p.client, Events.KEY_ADOPTED, "Adopted OpenRouter key " + key.label() + " from Secret " + from.getName()
                + ": renamed for this MaiClient, limit " + Money.format(Optional.ofNullable(key.limit())) + ", its spend of "
                + Money.cents(key.usageInPeriod()).toPlainString() + " USD in this period kept; no key was created");
        p.adopted(owned, value, written);
    }

    /** The Secret holds the adopted key already (stored before a restart): the adoption is recorded as done. */
    private void finish(Pass p) {
        AdoptionStatus intent = p.before.getAdoption();
        String candidate = KeyDigest.candidate(digestKey.get(), p.client.getMetadata().getUid(), p.hash);
        if (KeyDigest.matches(intent.getCandidate(), candidate)) {
            done(p, intent.getFrom());
        } else {
            // the Secret holds another key of this client: the one the adoption found may still carry the challenge
            candidate(p.client, p.managementKey, intent).ifPresent(k -> putBack(p.client, p.managementKey, k.hash(), intent));
            p.status.setAdoption(null);
        }
    }

    private void done(Pass p, String from) {
        AdoptionStatus done = new AdoptionStatus();
        done.setFrom(from);
        done.setAdoptedAt(p.now.truncatedTo(ChronoUnit.SECONDS).toString());
        p.status.setAdoption(done);
        p.statusBuilder().adopted(from, done.getAdoptedAt());
    }

    /** A refusal that tells the tenant nothing about the account's keys; {@code why} goes to the operator's log. */
    private Optional<UpdateControl<MaiClient>> notHere(Pass p, String why, Duration retry) {
        LOG.infof("%s/%s: adoption refused: %s", p.client.getMetadata().getNamespace(), p.client.getMetadata().getName(), why);
        return refuse(p, FIELD, NOT_HERE, retry);
    }

    private Optional<UpdateControl<MaiClient>> refuse(Pass p, String field, String rule, Duration retry) {
        return Optional.of(stops.stop(p, p.statusBuilder().adoptionRefused(field + " " + rule), KEY_PROVISIONED, retry));
    }

    /** Whether MAI_ADOPTION_NAMESPACES selects the MaiClient's namespace (read live: adoption is rare, and a label may have just changed). */
    private boolean opened(Pass p) {
        if (config.adoptionNamespaces().isEmpty()) {
            return false;
        }
        String namespace = p.client.getMetadata().getNamespace();
        return p.context.getClient().namespaces().withLabelSelector(config.adoptionNamespaces().get()).list().getItems()
                .stream().map(Namespace::getMetadata).anyMatch(m -> namespace.equals(m.getName()));
    }

    /** The value under the entry of the Secret {@code from} names, read live; empty when either is missing. */
    private static Optional<ApiKey> read(Pass p, AdoptKeyFrom from) {
        return source(p, from.getName()).flatMap(s -> entry(s, from.entry()));
    }

    /** A Secret of the MaiClient's namespace, read live (such Secrets are not in the operator's cache). */
    private static Optional<Secret> source(Pass p, String name) {
        return Optional.ofNullable(p.context.getClient().secrets().inNamespace(p.client.getMetadata().getNamespace())
                .withName(name).get());
    }

    private static Optional<ApiKey> entry(Secret source, String entry) {
        String text = Optional.ofNullable(source.getStringData()).map(d -> d.get(entry))
                .or(() -> Optional.ofNullable(source.getData()).map(d -> d.get(entry)).map(Adoption::decode))
                .orElse(null);
        // kubectl create secret --from-env-file keeps a .env value's quotes: the value is read as a .env reader would
        return text == null || text.isBlank() ? Optional.empty() : Optional.of(ApiKey.of(DotEnv.unquote(text)));
    }

    /** The names of a Secret's entries (names only: they are not secret), sorted. */
    private static List<String> entries(Secret source) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        Optional.ofNullable(source.getData()).ifPresent(d -> names.addAll(d.keySet()));
        Optional.ofNullable(source.getStringData()).ifPresent(d -> names.addAll(d.keySet()));
        return names.isEmpty() ? List.of("none") : List.copyOf(names);
    }

    /** A Secret's data entry as text; null when it is not base64 (then it holds no key). */
    private static String decode(String base64) {
        try {
            return EnvSecret.decode(base64);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static AdoptKeyFrom recorded(AdoptionStatus intent) {
        AdoptKeyFrom from = new AdoptKeyFrom();
        from.setName(intent.getFrom());
        from.setKey(intent.getEntry());
        return from;
    }

    private KeyAdoption.Adopter adopter(Pass p) {
        return new KeyAdoption.Adopter(installation.get(), p.client.getMetadata().getUid(),
                KeyAdoption.movableFrom(config.adoptionFrom().orElse(List.of())));
    }

    /**
     * Failed proofs of possession per key, in this operator: each failure doubles the wait before the
     * next proof of that key, from 5 minutes to a day, whichever MaiClient asks — a guess of the
     * challenge costs the guesser time, and the key's owner sees at most a few limit changes a day.
     */
    static final class Proofs {
        private static final Duration LONGEST = Duration.ofDays(1);
        private final Map<String, Integer> failures = new ConcurrentHashMap<>();
        private final Map<String, Instant> until = new ConcurrentHashMap<>();

        Optional<Instant> blockedUntil(String hash, Instant now) {
            return Optional.ofNullable(until.get(hash)).filter(now::isBefore);
        }

        /** Records a failure; returns when the next proof of the key may be made. */
        Instant failed(String hash, Instant now) {
            int count = failures.merge(hash, 1, Integer::sum);
            Duration wait = Waits.SLOW_RETRY.multipliedBy(1L << Math.min(count - 1, 10));
            Instant next = now.plus(wait.compareTo(LONGEST) > 0 ? LONGEST : wait);
            until.put(hash, next);
            return next;
        }
    }
}
