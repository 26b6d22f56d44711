package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;

import dev.mai.operator.api.v1alpha1.AdoptKeyFrom;
import dev.mai.operator.api.v1alpha1.AdoptionStatus;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.KeyAdoption;
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
import dev.mai.operator.openrouter.OpenRouterKeys;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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
    private final SecureRandom random = new SecureRandom();
    /** One adoption of a key at a time in this operator (two MaiClients may name the same value). */
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public Adoption(OpenRouterKeys keys, KeyLifecycle lifecycle, ClientSecrets secrets, DigestKey digestKey,
            InstallationId installation, MaiConfig config, Events events, Stops stops) {
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
                return Optional.empty();
            }
            case FAILED -> {
                return refuse(p, FIELD, FAILED_PROOF, null);
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

    private static final String FAILED_PROOF = "holds a key that could not be proven to be the key found on this account "
            + "(its holder would have seen a change made to that key): nothing was adopted and the key found was put back "
            + "as it was. Check that the operator's management key is the account of the key given; change the spec to try again";

    /** Adopts (or goes on adopting) the key of the Secret the spec or the recorded intent names. */
    private Optional<UpdateControl<MaiClient>> adopt(Pass p) {
        AdoptionStatus intent = Optional.ofNullable(p.before.getAdoption()).filter(AdoptionStatus::underWay).orElse(null);
        AdoptKeyFrom from = intent != null ? recorded(intent) : p.client.getSpec().getAdoptKeyFrom();
        if (intent == null && !opened(p)) {
            return refuse(p, FIELD, "is not allowed in namespace " + p.client.getMetadata().getNamespace() + ": its "
                    + "administrator has not opened it to adoption (the operator setting MAI_ADOPTION_NAMESPACES selects the "
                    + "namespaces that may adopt keys)", Waits.SLOW_RETRY);
        }
        Optional<ApiKey> value = read(p, from);
        if (value.isEmpty()) {
            return refuse(p, FIELD + ".name", "names no Secret of this namespace with a value under " + from.entry()
                    + "; create it (kubectl create secret generic " + from.getName() + " --from-env-file=.env)", Waits.MISSING_KEY_RETRY);
        }
        if (!KeyAdoption.keyShaped(value.get())) {
            return refuse(p, FIELD, "names a Secret entry that does not hold a key of OpenRouter's shape (sk-or-v1- and 64 "
                    + "lower-case hex digits)", Waits.SLOW_RETRY);
        }
        Optional<CallerKey> self = keys.describe(value.get());
        List<KeyInfo> listed = keys.list(p.managementKey);
        if (intent != null) {
            Optional<UpdateControl<MaiClient>> resumed = resume(p, intent, value.get(), listed);
            if (resumed.isPresent() || p.justCreated) {
                return resumed;
            }
        }
        KeyAdoption.Verdict verdict = KeyAdoption.choose(FIELD, value.get(), self, listed, from.getHash(), adopter(p));
        if (verdict instanceof KeyAdoption.Refuse refused) {
            return refuse(p, refused.field(), refused.rule(), Waits.SLOW_RETRY);
        }
        KeyAdoption.Adopt chosen = (KeyAdoption.Adopt) verdict;
        if (chosen.resumed()) {
            // marked as this client's, with no intent of this client that names it: a key this MaiClient had before
            return refuse(p, FIELD, "holds a key that is managed already (by this MaiClient before): it cannot be adopted "
                    + "again", Waits.SLOW_RETRY);
        }
        synchronized (locks.computeIfAbsent(chosen.key().hash(), h -> new Object())) {
            try {
                return takeOver(p, from, value.get(), chosen.key());
            } finally {
                locks.remove(chosen.key().hash());
            }
        }
    }

    /**
     * Proves and takes over {@code found}: a fresh read first (nothing changed since the listing), the
     * intent, the challenge, the rename, the Secret.
     */
    private Optional<UpdateControl<MaiClient>> takeOver(Pass p, AdoptKeyFrom from, ApiKey value, KeyInfo found) {
        Optional<KeyInfo> fresh = keys.get(p.managementKey, found.hash());
        if (fresh.isEmpty() || fresh.get().disabled() || !java.util.Objects.equals(fresh.get().name(), found.name())
                || !Money.sameCents(fresh.get().limit(), found.limit())) {
            return refuse(p, FIELD, "holds a key that changed while it was being adopted; trying again shortly",
                    Waits.MISSING_KEY_RETRY);
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
        p.status.setAdoption(intent);
        p.status.setProvisioningKeySecretRef(p.source); // the account the adopted key lives on
        p.statusBuilder().initialise();
        StatusWrites.write(p.client, p.context, new MaiClientStatus(p.status));

        BigDecimal challenge = KeyAdoption.challengeLimit(found.limit(), 1 + random.nextInt(KeyAdoption.CHALLENGES));
        KeyInfo challenged = keys.update(p.managementKey, found.hash(), new KeyPatch().limit(challenge));
        if (!KeyAdoption.proves(keys.describe(value), challenge)) {
            return failedProof(p, found);
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
            events.warning(p.client, Events.KEY_ADOPTED, "The adopted key has spent " + renamed.usageInPeriod()
                    + " USD in this period, at or above spec.spendingLimit: it was disabled until the limit resets or is raised");
        }
        store(p, from, value, owned);
        return Optional.empty();
    }

    /** The proof failed: the limit goes back, the intent is cleared, and this generation is not tried again. */
    private Optional<UpdateControl<MaiClient>> failedProof(Pass p, KeyInfo found) {
        keys.update(p.managementKey, found.hash(), new KeyPatch().limit(found.limit()));
        LOG.warnf("%s/%s: the key in Secret %s did not prove to be OpenRouter key %s of this account (its GET /key did not "
                + "show the challenge); the key's limit was put back", p.client.getMetadata().getNamespace(),
                p.client.getMetadata().getName(), p.status.getAdoption().getFrom(), found.hash());
        AdoptionStatus failed = new AdoptionStatus();
        failed.setFailedGeneration(p.generation());
        p.status.setAdoption(failed);
        return refuse(p, FIELD, FAILED_PROOF, null);
    }

    /**
     * An adoption under way after a restart or a failed write: the key it renamed is this client's and
     * is stored; a key it did not rename yet gets its limit back, and the adoption starts over.
     */
    private Optional<UpdateControl<MaiClient>> resume(Pass p, AdoptionStatus intent, ApiKey value, List<KeyInfo> listed) {
        byte[] secret = digestKey.get();
        String uid = p.client.getMetadata().getUid();
        Optional<KeyInfo> candidate = listed.stream()
                .filter(k -> KeyDigest.matches(intent.getCandidate(), KeyDigest.candidate(secret, uid, k.hash()))).findFirst();
        Optional<KeyLifecycle.Owned> ours = candidate.flatMap(k -> lifecycle.adopted(p.client, k));
        if (ours.isPresent()) {
            if (!KeyDigest.matches(intent.getKeyDigest(), KeyDigest.adoption(secret, uid, ours.get().hash(), value))) {
                return refuse(p, FIELD + ".name", "Secret " + intent.getFrom() + " changed while its key was being adopted: "
                        + "put back the key it held, and the adoption finishes", Waits.MISSING_KEY_RETRY);
            }
            store(p, recorded(intent), value, ours.get());
            return Optional.empty();
        }
        if (candidate.isEmpty() && Instants.parse(intent.getStartedAt())
                .filter(at -> p.now.isBefore(at.plus(KeyRules.UNFINISHED_CREATE_GRACE))).isPresent()) {
            // OpenRouter's list may not show a key it just changed: the intent is kept, so its limit can still be put back
            return Optional.of(UpdateControl.<MaiClient>noUpdate().rescheduleAfter(Waits.PROPAGATION_RECHECK));
        }
        candidate.ifPresent(k -> putBack(p, k, intent.getPreviousLimit()));
        p.status.setAdoption(null);
        return Optional.empty();
    }

    /** Undoes a challenge a restart cut short: the limit the key had, unless a fresh read shows it has that already. */
    private void putBack(Pass p, KeyInfo candidate, String previousLimit) {
        BigDecimal previous = UNLIMITED.equals(previousLimit) ? null : new BigDecimal(previousLimit);
        if (!Money.sameCents(previous, candidate.limit()) && Names.keyOwner(candidate.name()).isEmpty()) {
            keys.update(p.managementKey, candidate.hash(), new KeyPatch().limit(previous));
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
                + key.usageInPeriod() + " USD in this period kept; no key was created");
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
            keys.list(p.managementKey).stream()
                    .filter(k -> KeyDigest.matches(intent.getCandidate(), KeyDigest.candidate(digestKey.get(),
                            p.client.getMetadata().getUid(), k.hash())))
                    .findFirst().ifPresent(k -> putBack(p, k, intent.getPreviousLimit()));
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

    /** The value under the entry of the Secret {@code from} names, read live (such Secrets are not in the operator's cache). */
    private static Optional<ApiKey> read(Pass p, AdoptKeyFrom from) {
        Secret source = p.context.getClient().secrets().inNamespace(p.client.getMetadata().getNamespace())
                .withName(from.getName()).get();
        if (source == null) {
            return Optional.empty();
        }
        String text = Optional.ofNullable(source.getStringData()).map(d -> d.get(from.entry()))
                .or(() -> Optional.ofNullable(source.getData()).map(d -> d.get(from.entry())).map(Adoption::decode))
                .orElse(null);
        return text == null || text.isBlank() ? Optional.empty() : Optional.of(ApiKey.of(unquote(text.strip())));
    }

    /** kubectl create secret --from-env-file keeps the quotes of a .env value: a quoted key is the key. */
    private static String unquote(String text) {
        boolean quoted = text.length() > 1 && (text.startsWith("\"") && text.endsWith("\"")
                || text.startsWith("'") && text.endsWith("'"));
        return quoted ? text.substring(1, text.length() - 1) : text;
    }

    private static String decode(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
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
}
