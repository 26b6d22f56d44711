package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.core.Money;
import dev.mai.operator.core.Names;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CreatedKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import dev.mai.operator.openrouter.KeySettings;
import dev.mai.operator.openrouter.OpenRouterKeys;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * The OpenRouter side of a client's key: create, bring in line with the spec, revoke, retain. Each
 * action is an event on the MaiClient; none logs or returns the key except {@link #create}, whose
 * caller must store it at once.
 *
 * <p>Ownership before every write: the methods that PATCH a key take an {@link Owned}, which only
 * this class makes — from a fresh {@code GET /keys/{hash}} whose name carries this installation's id
 * and the MaiClient's UID ({@link #prove}), or from this client's own create. Those that DELETE or
 * rename read the key themselves first. A hash from a Secret or a status is a claim: it never
 * decides alone which key is written, and what the operator says about a key that is not the
 * client's names nothing of it.
 */
@ApplicationScoped
public class KeyLifecycle {

    private static final Logger LOG = Logger.getLogger(KeyLifecycle.class);
    private final OpenRouterKeys keys;
    private final InstallationId installation;
    private final Events events;

    public KeyLifecycle(OpenRouterKeys keys, InstallationId installation, Events events) {
        this.keys = keys;
        this.installation = installation;
        this.events = events;
    }

    /**
     * What the spec asks of the key; the limit less {@code carried}, what the client's replaced keys
     * already spent in this period (budget-safe replacement: all keys together never get more). A
     * limit of zero means nothing is left ({@link Budget#nothingLeft}): it is never sent — an
     * existing key is disabled instead ({@link #plan}) and no key is created ({@link #create}).
     */
    public KeySettings desired(MaiClient client, BigDecimal carried) {
        return KeyRules.desired(Names.keyName(client, installation.get(), false), client.getSpec(), carried);
    }

    /** True when a key of this client would have nothing to spend in this period after {@code carried}. */
    public boolean nothingLeft(MaiClient client, BigDecimal carried) {
        return Budget.nothingLeft(desired(client, carried).limit());
    }

    /** OpenRouter's clock as its answers tell it ({@link OpenRouterKeys#serverTime()}). */
    public Optional<Instant> openRouterTime() {
        return keys.serverTime();
    }

    /**
     * A key proven to be this installation's key of one MaiClient, not retained: a fresh read showed
     * it, or this client's own create returned it. The only form in which a key may be PATCHed.
     */
    public static final class Owned {
        private final KeyInfo info;

        private Owned(KeyInfo info) {
            this.info = info;
        }

        /** OpenRouter's view of the key as last read or written. */
        public KeyInfo info() {
            return info;
        }

        public String hash() {
            return info.hash();
        }

        @Override
        public String toString() {
            return "Owned[" + info.hash() + "]";
        }
    }

    /** Whose a key is, by what a fresh read of it shows. */
    public enum Ownership {
        /** This installation's key of this MaiClient. */
        OURS,
        /** OpenRouter has no key with this hash (404). */
        GONE,
        /** The value is not an OpenRouter hash: nothing was asked. */
        INVALID_HASH,
        /** Marked with another installation's id: a cloned or restored cluster's, or a shard's. */
        OTHER_INSTALLATION,
        /** This installation's key of another MaiClient (by UID). */
        OTHER_CLIENT,
        /** A key this operator kept past its MaiClient (deletionPolicy Retain). */
        RETAINED,
        /** No mark of this operator in its name. */
        UNMARKED
    }

    /** What a fresh read of a key proves: its ownership and, when it is this client's, the key to write. */
    public record Proof(Ownership ownership, Optional<Owned> key) {
        public boolean ours() {
            return ownership == Ownership.OURS;
        }

        /** The key exists on OpenRouter and is not this client's: nothing may be written to it. */
        public boolean foreign() {
            return ownership != Ownership.OURS && ownership != Ownership.GONE;
        }
    }

    /**
     * {@code GET /keys/{hash}} and the verdict on its name. A value that is not a hash is refused
     * without a request. The answer about a foreign key carries none of its figures or its name.
     */
    public Proof prove(MaiClient client, ApiKey managementKey, String hash) {
        if (!KeyInfo.isHash(hash)) {
            return new Proof(Ownership.INVALID_HASH, Optional.empty());
        }
        Optional<KeyInfo> key = keys.get(managementKey, hash);
        if (key.isEmpty()) {
            return new Proof(Ownership.GONE, Optional.empty());
        }
        Ownership ownership = ownership(key.get(), client);
        return new Proof(ownership, ownership == Ownership.OURS ? Optional.of(new Owned(key.get())) : Optional.empty());
    }

    /** Whose {@code key} is, by its name alone. */
    Ownership ownership(KeyInfo key, MaiClient client) {
        Optional<Names.KeyOwner> owner = Names.keyOwner(key.name());
        if (owner.isEmpty()) {
            return Ownership.UNMARKED;
        }
        if (!owner.get().installationId().equals(installation.get())) {
            return Ownership.OTHER_INSTALLATION;
        }
        if (!owner.get().uid().equals(client.getMetadata().getUid())) {
            return Ownership.OTHER_CLIENT;
        }
        return owner.get().retained() ? Ownership.RETAINED : Ownership.OURS;
    }

    /**
     * A key an adoption renamed for this client, as OpenRouter's answer or a fresh listing shows it:
     * this client's when its name carries this installation's and this MaiClient's mark (an adoption
     * renames a key only after the proof of possession).
     */
    public Optional<Owned> adopted(MaiClient client, KeyInfo renamed) {
        return ownedBy(renamed, client) ? Optional.of(new Owned(renamed)) : Optional.empty();
    }

    /** A key this client's own create just returned (and the operator recorded the intent of). */
    public record Minted(CreatedKey created, Owned owned) {
    }

    /** {@code POST /keys} with the spec's name, limit and reset. The answer holds the key, once. */
    public Minted create(MaiClient client, ApiKey managementKey, BigDecimal carried) {
        KeySettings settings = desired(client, carried);
        if (Budget.nothingLeft(settings.limit())) {
            // the caller reports LimitExhausted instead of asking: reaching this is a defect
            throw new IllegalStateException("refused to create a key with nothing to spend in this period");
        }
        CreatedKey created = keys.create(managementKey, settings);
        LOG.infof("created OpenRouter key %s for %s/%s", created.info().hash(),
                client.getMetadata().getNamespace(), client.getMetadata().getName());
        events.normal(client, Events.KEY_CREATED, "Created OpenRouter key " + created.info().label()
                + " (limit " + Money.format(Optional.ofNullable(settings.limit())) + ", reset "
                + Optional.ofNullable(settings.limitReset()).orElse("never") + ")");
        return new Minted(created, new Owned(created.info()));
    }

    /** The outcome of bringing a key in line with the spec. */
    public record Sync(Owned key, boolean disabledOutside) {
    }

    /**
     * PATCHes the key where it differs from the spec (name, limit at cent precision, reset,
     * disabled) and only there. A key that is disabled although the spec does not ask for it is
     * left disabled unless this operator disabled it ({@code disabledByOperator}): a person may
     * have pulled the brake on a leaked key.
     */
    public Sync sync(MaiClient client, ApiKey managementKey, Owned key, boolean disabledByOperator, BigDecimal carried) {
        KeyInfo actual = key.info();
        KeyRules.Plan plan = plan(client, actual, disabledByOperator, carried);
        if (plan.patch().isEmpty()) {
            return new Sync(key, plan.disabledOutside());
        }
        KeyInfo updated = keys.update(managementKey, actual.hash(), plan.patch());
        events.normal(client, Events.KEY_UPDATED, "Updated OpenRouter key " + actual.label() + ": " + plan.patch().describe());
        return new Sync(new Owned(updated), plan.disabledOutside());
    }

    /** What {@link #sync} would change, without calling OpenRouter ({@link KeyRules#plan}). */
    public KeyRules.Plan plan(MaiClient client, KeyInfo actual, boolean disabledByOperator, BigDecimal carried) {
        return KeyRules.plan(desired(client, carried), actual, disabledByOperator);
    }

    /**
     * Stops a key that is being replaced from spending more: its limit is set to what it already
     * spent in the window its limit counts (nothing left), so old and new key together never exceed
     * the budget. A key that spent nothing, or all of its limit (which its next period would give
     * back), is disabled instead: a limit of 0 is never sent. Returns the key as OpenRouter has it
     * now, with its final figures; {@code disabled()} on it while the key was enabled before means
     * this operator disabled it.
     */
    public KeyInfo freeze(MaiClient client, ApiKey managementKey, Owned owned) {
        KeyInfo key = owned.info();
        if (key.limit() == null || key.limitRemaining() == null) {
            return key; // unlimited: no budget to protect
        }
        BigDecimal spent = Money.cents(key.limit().subtract(key.limitRemaining()));
        if (key.limitRemaining().signum() <= 0 || spent.signum() <= 0) {
            return disable(client, managementKey, owned, "it has nothing left to spend and is being replaced");
        }
        KeyInfo frozen = keys.update(managementKey, key.hash(), new KeyPatch().limit(spent));
        events.normal(client, Events.KEY_UPDATED, "Froze OpenRouter key " + key.label() + " at its spend of "
                + Money.format(Optional.of(spent)) + " before replacing it");
        return frozen;
    }

    /**
     * Disables a key of this client that must not spend any more (a limit of 0 is never sent);
     * nothing when it is disabled already. The caller records that this operator disabled it.
     */
    public KeyInfo disable(MaiClient client, ApiKey managementKey, Owned owned, String why) {
        KeyInfo key = owned.info();
        if (key.disabled()) {
            return key;
        }
        KeyInfo updated = keys.update(managementKey, key.hash(), new KeyPatch().disabled(true));
        events.normal(client, Events.KEY_UPDATED, "Disabled OpenRouter key " + key.label() + ": " + why);
        return updated;
    }

    /** Sets an old key's limit for the overlap of a rotation ({@code why} says what it keeps); above zero only. */
    public KeyInfo limitTo(MaiClient client, ApiKey managementKey, Owned owned, BigDecimal limit, String why) {
        if (Budget.nothingLeft(limit)) {
            throw new IllegalArgumentException("a key that may not spend is disabled, not limited to 0");
        }
        KeyInfo key = owned.info();
        KeyInfo updated = keys.update(managementKey, key.hash(), new KeyPatch().limit(limit));
        events.normal(client, Events.KEY_UPDATED, "Set the limit of OpenRouter key " + key.label() + " to "
                + Money.format(Optional.of(limit)) + ": it " + why);
        return updated;
    }

    /** PATCHes an old key of this client ({@code why} goes into the event); nothing when the patch is empty. */
    public KeyInfo update(MaiClient client, ApiKey managementKey, Owned owned, KeyPatch patch, String why) {
        KeyInfo key = owned.info();
        if (patch.isEmpty()) {
            return key;
        }
        KeyInfo updated = keys.update(managementKey, key.hash(), patch);
        events.normal(client, Events.KEY_UPDATED, "Updated OpenRouter key " + key.label() + ": " + patch.describe() + " (" + why + ")");
        return updated;
    }

    /**
     * Checks the client's key as the application will use it: {@code GET /key} with the key itself;
     * a 401 is followed by {@code GET /keys/{hash}} to tell a revoked key from a disabled one.
     */
    public KeyRules.Verdict verify(ApiKey managementKey, ApiKey clientKey, String hash) {
        return KeyRules.verify(keys, managementKey, clientKey, hash);
    }

    /**
     * Deletes a key of this MaiClient. The key is read first and deleted only if its name carries
     * this installation's id and this MaiClient's UID and no retained marker: a hash taken from a
     * Secret or a status is never trusted to name a key the operator may destroy. A key OpenRouter
     * no longer has counts as deleted; a failure is thrown, so a returning call means done.
     */
    public void revoke(MaiClient client, ApiKey managementKey, String hash, String reason, String why) {
        Proof proof = prove(client, managementKey, hash);
        if (proof.ownership() == Ownership.GONE) {
            LOG.debugf("OpenRouter key %s of %s/%s is already gone", hash, namespace(client), name(client));
            return;
        }
        if (!proof.ours()) {
            // a hash from a Secret or status that is not this client's key: say so, and nothing about that key
            events.warning(client, reason, "Did not delete a key recorded for this MaiClient: OpenRouter does not show it "
                    + "as this installation's key of this MaiClient (" + why + ")");
            return; // not ours to delete: nothing more to do for this MaiClient
        }
        keys.delete(managementKey, hash);
        LOG.infof("revoked OpenRouter key %s of %s/%s", hash, namespace(client), name(client));
        events.normal(client, reason, "Deleted OpenRouter key " + proof.key().get().info().label() + " " + why);
    }

    /**
     * After a create whose outcome is unknown (crash, lost answer, failed Secret write): lists every
     * key of the account and deletes this MaiClient's keys other than {@code keep}. Returns true when
     * one of them was created since {@code startedAt}, i.e. the unfinished create is accounted for;
     * false means its key may still appear late in the list (OpenRouter's list is eventually consistent).
     */
    public boolean collectUnfinishedCreate(MaiClient client, ApiKey managementKey, Instant startedAt, Set<String> keep) {
        return KeyRules.collectUnfinishedCreate(keys, managementKey, key -> ownedBy(key, client), startedAt, keep, key -> {
            LOG.infof("revoked orphan OpenRouter key %s of %s/%s", key.hash(), namespace(client), name(client));
            events.normal(client, Events.ORPHAN_KEY_REVOKED, "Deleted OpenRouter key " + key.label()
                    + ": it was created for this MaiClient but never stored in its Secret");
        });
    }

    /**
     * Keeps a key past its MaiClient: renames it to carry the retained marker, which sweeps and
     * orphan collection skip. True when this call renamed it (false: not this client's key, or
     * already renamed).
     */
    public boolean retain(MaiClient client, ApiKey managementKey, String hash) {
        Proof proof = prove(client, managementKey, hash);
        if (!proof.ours()) {
            events.warning(client, Events.KEY_RETAINED, "Retain asked, but OpenRouter shows no key of this MaiClient "
                    + "under the hash its Secret records; nothing was renamed");
            return false;
        }
        KeyInfo key = proof.key().get().info();
        String retained = Names.retainedKeyName(key.name(), installation.get(), client.getMetadata().getUid());
        boolean rename = !retained.equals(key.name());
        if (rename) {
            keys.update(managementKey, hash, new KeyPatch().name(retained));
        }
        events.normal(client, Events.KEY_RETAINED, "Kept OpenRouter key " + key.label()
                + " and its Secret (deletionPolicy Retain)");
        return rename;
    }

    /** True when the key's name marks it as this installation's key of this MaiClient, not retained. */
    boolean ownedBy(KeyInfo key, MaiClient client) {
        return ownership(key, client) == Ownership.OURS;
    }

    private static String namespace(MaiClient client) {
        return client.getMetadata().getNamespace();
    }

    private static String name(MaiClient client) {
        return client.getMetadata().getName();
    }
}
