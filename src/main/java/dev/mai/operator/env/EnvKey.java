package dev.mai.operator.env;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.core.KeyRules.Verdict;
import dev.mai.operator.core.Money;
import dev.mai.operator.core.Names;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CreatedKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import dev.mai.operator.openrouter.KeySettings;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The key lifecycle of one {@code .env} file, the operator's rules with a file in place of the
 * MaiClient and its Secret: exactly one key, named with the file's id; kept while it works, PATCHed
 * to the settings, replaced when it was deleted on OpenRouter or no longer authenticates; never
 * re-enabled when someone disabled it.
 *
 * <p>Crash safety as in the operator: the intent to create is written to the file (with the id the
 * key's name will carry) before {@code POST /keys}, the key right after. A run that finds an intent
 * without its key lists the account's keys and deletes this file's keys other than the one it
 * holds, waiting out OpenRouter's eventually consistent listing for as long as the operator does.
 *
 * <p>Ownership before every write: no key is PATCHed or deleted unless a fresh read of it
 * ({@code GET /keys/{hash}}) shows this file's mark at the end of its name ({@code [mai:mai-env:<id>]}),
 * or it is the key this run's own create just returned, or the key the file holds is being adopted
 * ({@link EnvAdoption}: a file without a mai-env block, or with an adoption under way). A {@code .env} is a claim, not a proof: a hash
 * it names that leads to a key without that mark is never written, and every hash is checked to be 64
 * lowercase hex before it goes into a URL. A file whose recorded location is not where it is (a copied
 * project folder carries the same id) stops the run before any request; a hash that leads to a key an
 * operator took over (its mark, not mai-env's) stops it before any write, unless a new key is asked for.
 */
final class EnvKey {

    static final Duration RECHECK = Duration.ofSeconds(2);
    /** What an OpenRouter key hash looks like; nothing else goes into a URL. */
    static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    /**
     * What the run is asked for: the spec's four settings, whether to replace a working key, what
     * to do with a file that is not where it was written: give it a new id ({@code newId}, a copy), or
     * record its new place ({@code moved}), and for a key mai-env did not make: a new key instead of
     * adopting it ({@code replace}), or the hash that picks it among look-alikes ({@code adoptHash}, or null);
     * {@code keepKeysReset}: no {@code --reset} was given and the file records none, so an adopted key keeps
     * the reset it has on OpenRouter.
     */
    record Settings(MaiClientSpec spec, boolean rotate, boolean newId, boolean moved, boolean replace, String adoptHash,
            boolean keepKeysReset) {
        Settings(MaiClientSpec spec, boolean rotate, boolean newId, boolean moved) {
            this(spec, rotate, newId, moved, false, null, false);
        }
    }

    /** A failure the command reports with its own exit code and a message saying what to do. */
    static final class Refusal extends Exception {
        final int exitCode;

        Refusal(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }
    }

    private final OpenRouterKeys keys;
    private final Clock clock;
    private final String reference;
    private final String openrouterHost;
    private final Consumer<String> say;

    /**
     * @param reference who holds the key, for people reading OpenRouter's key list ("mai-env on host")
     * @param say where progress lines go (never a key)
     */
    EnvKey(OpenRouterKeys keys, Clock clock, String reference, String openrouterHost, Consumer<String> say) {
        this.keys = keys;
        this.clock = clock;
        this.reference = reference;
        this.openrouterHost = openrouterHost;
        this.say = say;
    }

    /**
     * Refuses, before any request, a file this run must not act for: one whose key was handed to a
     * MaiClient ({@code mai-env export}), one carrying the id of a file written elsewhere (copied or
     * moved), or one whose {@code OPENROUTER_KEY_HASH} is not a hash.
     */
    static void check(EnvFile file, boolean newId, boolean moved) throws Refusal {
        Optional<String> movedTo = file.movedTo();
        if (movedTo.isPresent()) {
            // the operator owns the key now: any create, rotation or PATCH here would fight it, and a rewrite of the
            // file could put back what the person moving the client just switched off
            throw new Refusal(MaiEnvCommand.MOVED, file.path() + " was moved to Kubernetes (its line \"" + EnvFile.MOVED_TO.strip()
                    + "\" says " + movedTo.get() + "): the operator manages its key now, so mai-env creates, rotates and "
                    + "changes no key for this file and leaves the file as it is; this run changed nothing. If the move was "
                    + "given up (the MaiClient was never applied, or was deleted before it adopted the key), delete that line "
                    + "and run mai-env again.");
        }
        checkPlace(file, newId, moved);
    }

    /**
     * Refuses a file carrying the id of a file written elsewhere (copied or moved, unless {@code newId}
     * or {@code moved} says what it is), or whose {@code OPENROUTER_KEY_HASH} is not a hash.
     */
    static void checkPlace(EnvFile file, boolean newId, boolean moved) throws Refusal {
        if (newId && moved) {
            throw new Refusal(MaiEnvCommand.INVALID, "--new-id and --moved: give one of them (--new-id for a copy, --moved for a file that was moved)");
        }
        String here = EnvFile.locationOf(file.path());
        Optional<String> recorded = file.location();
        if (newId && file.id().isPresent() && recorded.isPresent() && recorded.get().equals(here)) {
            // a new id here would orphan the file's key, and any unfinished create under the old id: no file would look after them
            throw new Refusal(MaiEnvCommand.COPIED, "--new-id: " + file.path() + " is where it was written (its line \""
                    + EnvFile.LOCATION.strip() + "\" says " + here + "), so it is not a copy, and this run changed nothing. A "
                    + "new id would leave the key it holds, and whatever an unfinished run left, to no file at all: a second "
                    + "key with its own limit beside the new one, that no run would clean up. For a new key in this file, "
                    + "run again with --rotate (the old key is then deleted); for a copy, give --new-id to the copy.");
        }
        if (file.id().isPresent() && recorded.isPresent() && !recorded.get().equals(here) && !newId) {
            if (!moved) {
                throw new Refusal(MaiEnvCommand.COPIED, file.path() + " is not where it was written: its line \""
                        + EnvFile.LOCATION.strip() + "\" says " + recorded.get() + ", and this is " + here + ". "
                        + "The file was copied or moved, and its id ties it to the keys of the file written there, so this run "
                        + "changed nothing. A copy (another client, or a second project made from the same folder): run again "
                        + "with --new-id, and it gets an id and a key of its own; the key it holds now is left to the original. "
                        + "Moved (nothing is left at the old place): run again with --moved.");
            }
            if (EnvFile.stillHolds(recorded.get(), file.id().get())) {
                throw new Refusal(MaiEnvCommand.COPIED, "--moved: the file at " + recorded.get() + " still holds this id, so "
                        + file.path() + " is a copy of it. Run again with --new-id for a key of its own.");
            }
        }
        Optional<String> hash = file.keyHash();
        if (hash.isPresent() && !HASH.matcher(hash.get()).matches()) {
            // the value is not shown: a hand-edited file may hold a key in the wrong variable
            throw new Refusal(MaiEnvCommand.FILE, Environment.KEY_HASH + " in " + file.path() + " must be 64 lowercase hex "
                    + "characters (OpenRouter's key hash); it is not, so it is not sent anywhere and this run changed nothing. "
                    + "Put back the value mai-env wrote; if it is lost, delete the line and run again: the file then gets a "
                    + "new key, and the old one is left on OpenRouter for you to delete.");
        }
    }

    /**
     * Refuses, before any request, the adoption options where they mean nothing: {@code --adopt-hash}
     * for a file whose key is not to be adopted (none, mai-env's own, or a new one asked for), or not a
     * hash; {@code --replace} for a file that holds no key, or mai-env's own without its hash ({@code --rotate}
     * replaces that one). A file of mai-env's with a hash may be given {@code --replace}: whether its key is
     * still its own (refused then) or one an operator took over shows only once the key is read.
     */
    static void checkAdoption(EnvFile file, boolean rotate, boolean replace, String adoptHash) throws Refusal {
        boolean adopts = EnvAdoption.adopts(file);
        boolean named = file.key().isPresent() && file.keyHash().isPresent();
        if (adoptHash != null && (!adopts || rotate || replace)) {
            throw new Refusal(MaiEnvCommand.INVALID, "--adopt-hash: only for a run that adopts the key a .env holds (one "
                    + "mai-env did not make), without --rotate or --replace; " + file.path() + (adopts ? " would get a new key"
                    : " holds no such key") + ", and this run changed nothing");
        }
        if (adoptHash != null && !HASH.matcher(adoptHash).matches()) {
            throw new Refusal(MaiEnvCommand.INVALID, "--adopt-hash: must be 64 lowercase hex characters (the hash of one "
                    + "of the keys the refusal listed)");
        }
        if (replace && !adopts && !named) {
            throw new Refusal(MaiEnvCommand.INVALID, "--replace: " + file.path() + " holds " + (file.key().isPresent()
                    ? "mai-env's own key, so there is nothing to replace (--rotate gives it a new key)"
                    : "no key, so there is nothing to replace") + "; this run changed nothing");
        }
    }

    /** Brings the file and its key in line with {@code settings}; returns the key the file holds afterwards. */
    ApiKey apply(EnvFile file, Settings settings, ApiKey managementKey) throws IOException, Refusal {
        check(file, settings.newId(), settings.moved());
        checkAdoption(file, settings.rotate(), settings.replace(), settings.adoptHash());
        try {
            return bringInLine(file, settings, managementKey);
        } finally {
            file.notes().forEach(say);
        }
    }

    /**
     * Whom this run acts for: the file's id and place, the settings its key must have, and the test of
     * a key carrying this file's mark.
     */
    record Target(String id, String location, MaiClientSpec spec, KeySettings want, Predicate<KeyInfo> ours) {
        /** The file's block: {@code body} null keeps the variables the file holds now (see {@link EnvFile.Block}). */
        EnvFile.Block block(Instant createStarted, String body) {
            return new EnvFile.Block(id, location, spec.getLimitReset(), createStarted, null, null, body);
        }

        /** The file's block while the key of {@code hash} is being adopted: the variables the file holds now, and the hash. */
        EnvFile.Block adopting(String hash) {
            return new EnvFile.Block(id, location, spec.getLimitReset(), null, hash, null, null);
        }

        /** This target with the limit reset {@code limitReset} (null: never) in place of the spec's. */
        Target resetting(String limitReset) {
            MaiClientSpec changed = new MaiClientSpec();
            changed.setOrganizationName(spec.getOrganizationName());
            changed.setSpendingLimit(spec.getSpendingLimit());
            changed.setLimitReset(limitReset);
            changed.setExternalUser(spec.getExternalUser());
            return new Target(id, location, changed, new KeySettings(want.name(), want.limit(), limitReset, want.disabled()), ours);
        }
    }

    /** What becomes of the key the file names, judged by a fresh read of it. */
    private enum Fate {
        /** OpenRouter does not show it yet, but it authenticates: kept as it is, nothing written. */
        UNSEEN,
        /** This file's and working, no --rotate: PATCHed to the settings and kept. */
        KEEP,
        /** This file's but to go (disabled with --rotate, broken, not the key its hash names, or --rotate): replaced, then deleted. */
        REPLACE,
        /** Deleted on OpenRouter, or not this file's: the file gets a new key, and the one it named is not touched. */
        NEW
    }

    private ApiKey bringInLine(EnvFile file, Settings settings, ApiKey managementKey) throws IOException, Refusal {
        String formerId = file.id().orElse(null);
        String id = settings.newId() || formerId == null ? UUID.randomUUID().toString() : formerId;
        Target target = target(file, settings.spec(), id);
        if (settings.newId() && formerId != null) {
            say.accept(file.path() + " gets a new id (--new-id); the keys of the file it was copied from are left to it.");
        }
        if (EnvAdoption.adopts(file) && !settings.replace() && !settings.rotate()) {
            return new EnvAdoption(keys, openrouterHost, say).adopt(file, target, managementKey, file.key().get(),
                    settings.adoptHash(), settings.keepKeysReset());
        }

        Optional<ApiKey> key = file.key();
        Optional<String> hash = file.keyHash();
        // read before anything is written, even what an interrupted create left: some keys stop the run untouched
        Optional<KeyInfo> info = key.isPresent() && hash.isPresent() ? keys.get(managementKey, hash.get()) : Optional.empty();
        if (info.isPresent()) {
            refuseByOwner(file, settings, info.get(), target.ours());
        }

        // an intent whose key has not shown up yet stays in the file (for the next run to look again) until the grace is over;
        // an intent of the former id (--new-id) is the original's, not this file's
        Optional<Instant> intent = settings.newId() ? Optional.empty() : file.createStarted();
        Instant unsettled = intent.isPresent() && !collectUnfinishedCreate(file, managementKey, target.ours(), intent.get())
                ? intent.get() : null;

        KeyInfo old = null;
        if (key.isPresent() && hash.isPresent()) {
            Fate fate = fate(file, settings, key.get(), info, target.ours(), formerId);
            if (fate == Fate.UNSEEN) {
                return key.get();
            } else if (fate == Fate.KEEP) {
                return keep(file, target, managementKey, key.get(), hash.get(), info.get(), unsettled);
            } else if (fate == Fate.REPLACE) {
                old = info.get();
            }
        } else if (key.isPresent()) {
            // --replace (or --rotate) on a key mai-env did not make, or a block whose hash line was deleted by hand
            say.accept("The key in " + file.path() + " was not created by mai-env (the file has no "
                    + Environment.KEY_HASH + "): creating one that mai-env manages. The old key is left on OpenRouter; "
                    + "delete it there once nothing uses it.");
        }
        return createKey(file, target, managementKey, old, unsettled);
    }

    /**
     * Stops a run, before any write, on a key whose name says it must not go on as it would: one an operator
     * took over, unless a new key is asked for ({@code --replace}, {@code --rotate}, {@code --new-id}); and
     * {@code --replace} on the file's own key.
     */
    private static void refuseByOwner(EnvFile file, Settings settings, KeyInfo info, Predicate<KeyInfo> ours) throws Refusal {
        Optional<Names.KeyOwner> owner = Names.keyOwner(info.name());
        boolean operators = owner.isPresent() && !Names.ENV_INSTALLATION.equals(owner.get().installationId());
        if (operators && !settings.replace() && !settings.rotate() && !settings.newId()) {
            // a MaiClient adopted it (kubectl create secret --from-env-file=.env, then spec.adoptKeyFrom): a key of this
            // file's own beside it would be a second live key for the same client, and a second budget
            throw new Refusal(MaiEnvCommand.MOVED, "The key in " + file.path() + " is managed by a mai-operator installation "
                    + "now: its name on OpenRouter carries an operator's mark (a MaiClient adopted it; the client was moved "
                    + "to Kubernetes). mai-env changes no key an operator keeps, and a key of this file's own beside it "
                    + "would be a second key, with a second budget, for the same client; this run changed nothing. If this "
                    + "Compose client is to go on beside the MaiClient, run again with --replace (or --rotate): the file "
                    + "then gets a new key on purpose, and the operator's key is left as it is.");
        }
        if (settings.replace() && ours.test(info)) {
            throw new Refusal(MaiEnvCommand.INVALID, "--replace: " + file.path() + " holds mai-env's own key (its name "
                    + "carries this file's mark), so there is nothing to replace (--rotate gives it a new key); this run "
                    + "changed nothing");
        }
    }

    /** The file's target under {@code id}: its key's name carries the id, its limit and reset are the spec's. */
    private Target target(EnvFile file, MaiClientSpec spec, String id) {
        String location = EnvFile.locationOf(file.path());
        KeySettings want = new KeySettings(Names.keyName(spec.getOrganizationName(), reference, Names.ENV_INSTALLATION, id, false),
                Money.limit(spec.getSpendingLimit()).orElse(null), spec.getLimitReset(), false);
        Predicate<KeyInfo> ours = key -> HASH.matcher(String.valueOf(key.hash())).matches() && Names.keyOwner(key.name())
                .filter(o -> !o.retained() && Names.ENV_INSTALLATION.equals(o.installationId()) && id.equals(o.uid()))
                .isPresent();
        return new Target(id, location, spec, want, ours);
    }

    /**
     * Judges the key the file names by OpenRouter's fresh read of it ({@code info}, empty when OpenRouter
     * does not know it) and says what is done with it and why; refuses a disabled key without --rotate.
     */
    private Fate fate(EnvFile file, Settings settings, ApiKey key, Optional<KeyInfo> info, Predicate<KeyInfo> ours,
            String formerId) throws Refusal {
        if (info.isEmpty() && keys.authenticates(key)) {
            // OpenRouter's lookups are eventually consistent: a key that authenticates exists
            say.accept("OpenRouter does not show the key in " + file.path() + " yet, but it authenticates: keeping it. "
                    + "Run mai-env again in a minute to bring its limit and name in line.");
            return Fate.UNSEEN;
        } else if (info.isEmpty()) {
            say.accept("The key in " + file.path() + " was deleted on OpenRouter: creating a new one.");
            return Fate.NEW;
        } else if (!ours.test(info.get())) {
            say.accept(notOurs(file, info.get(), formerId));
            return Fate.NEW;
        } else if (info.get().disabled()) {
            if (!settings.rotate()) {
                throw new Refusal(MaiEnvCommand.KEY_DISABLED, "The key in " + file.path() + " (" + info.get().label()
                        + ") is disabled on OpenRouter, and mai-env does not enable a key someone disabled: a person "
                        + "may have pulled the brake on a leaked key. Run again with --rotate for a new key (the "
                        + "disabled one is then deleted), or enable it on OpenRouter and run again.");
            }
            return Fate.REPLACE;
        } else if (!keys.authenticates(key)) {
            say.accept("The key in " + file.path() + " does not authenticate (was it changed by hand?): replacing it.");
            return Fate.REPLACE;
        } else if (!info.get().labelAllows(key)) {
            say.accept("The key in " + file.path() + " is not the key its " + Environment.KEY_HASH + " names (OpenRouter's "
                    + "label for that one is " + info.get().label() + "; was the file changed by hand?): replacing it. The "
                    + "key the file held is not changed on OpenRouter.");
            return Fate.REPLACE;
        }
        return settings.rotate() ? Fate.REPLACE : Fate.KEEP;
    }

    /** Keeps the file's working key: PATCHed where it differs from the settings, the file written if its text changed. */
    private ApiKey keep(EnvFile file, Target target, ApiKey managementKey, ApiKey key, String hash, KeyInfo current,
            Instant unsettled) throws IOException {
        // current is the fresh read of this file's key (its mark checked by fate): the one key this run may PATCH
        KeyInfo kept = current;
        KeyPatch patch = KeyRules.difference(target.want(), current);
        if (!patch.isEmpty()) {
            kept = keys.update(managementKey, hash, patch);
            say.accept("Updated OpenRouter key " + kept.label() + ": " + patch.describe() + ".");
        }
        MaiClientSpec spec = target.spec();
        String body = Environment.dotenv("mai-env", spec, inputs(key, hash, kept.createdAt(), spec));
        save(file, file.render(target.block(unsettled(unsettled), body)), "OpenRouter key " + kept.label());
        return key;
    }

    /**
     * Creates the file's new key and writes it to the file, the intent written first; then deletes {@code old},
     * the file's key it replaces (null: none), and checks the new key.
     */
    private ApiKey createKey(EnvFile file, Target target, ApiKey managementKey, KeyInfo old, Instant unsettled)
            throws IOException, Refusal {
        MaiClientSpec spec = target.spec();
        // the intent first, with the id the new key's name carries: an interrupted run is cleaned up by the next
        Instant started = clock.instant();
        file.write(file.render(target.block(started, null)));
        CreatedKey created;
        try {
            created = keys.create(managementKey, target.want());
        } catch (OpenRouterException e) {
            if (e.status() >= 400 && e.status() < 500 && !e.retryable()) {
                file.restore(); // refused: no key was made, so no trace of the attempt either
            }
            throw e; // otherwise the outcome is unknown: the intent stays for the next run
        }
        KeyInfo made = created.info();
        String body = Environment.dotenv("mai-env", spec, inputs(created.key(), made.hash(), made.createdAt(), spec));
        file.write(file.render(target.block(unsettled(unsettled), body)));
        say.accept("Created OpenRouter key " + made.label() + " for " + spec.getOrganizationName() + " (limit "
                + Money.format(Money.limit(spec.getSpendingLimit())) + ", " + resets(spec) + ") and wrote it to "
                + file.path() + " (mode 600" + kept(file) + ").");
        if (old != null) {
            deleteReplaced(managementKey, old, target.ours());
        }
        confirm(managementKey, created.key(), made);
        return created.key();
    }

    /** Deletes the key the new one replaced, if a read right before the delete still shows this file's mark. */
    private void deleteReplaced(ApiKey managementKey, KeyInfo old, Predicate<KeyInfo> ours) {
        Optional<KeyInfo> again = keys.get(managementKey, old.hash());
        if (again.isPresent() && ours.test(again.get())) {
            keys.delete(managementKey, old.hash());
            say.accept("Deleted the old OpenRouter key " + old.label() + ".");
        } else if (again.isPresent()) {
            say.accept("Left the old OpenRouter key " + old.label() + " alone: its name no longer marks it as this "
                    + "file's key. Delete it on OpenRouter once nothing uses it.");
        }
    }

    /**
     * What the run says of a key the file names that does not carry this file's mark: it is left as it is.
     * Nothing of that key is told (not its label, name or limit): it may be someone else's.
     */
    private static String notOurs(EnvFile file, KeyInfo key, String formerId) {
        Optional<Names.KeyOwner> owner = Names.keyOwner(key.name());
        String whose;
        String then;
        if (owner.isEmpty()) {
            whose = "carries no mark of mai-env or of an operator in its name (made by hand, by the old script or "
                    + "another tool), so nothing shows that it is this file's";
            then = " If it was made for this file, delete it on OpenRouter once nothing uses it.";
        } else if (Names.ENV_INSTALLATION.equals(owner.get().installationId()) && owner.get().uid().equals(formerId)) {
            whose = "belongs to the file this one was copied from";
            then = " It stays that file's.";
        } else if (Names.ENV_INSTALLATION.equals(owner.get().installationId())) {
            whose = "belongs to someone else: its name carries another .env file's mark";
            then = "";
        } else {
            whose = "belongs to someone else: a mai-operator installation manages it (its name ends in an operator's mark, "
                    + "a MaiClient's)";
            then = "";
        }
        return "The key that " + Environment.KEY_HASH + " in " + file.path() + " names " + whose
                + ". mai-env changes no key it cannot prove is this file's, and shows nothing of it: that key is left as it "
                + "is (name, limit, enabled, not deleted), and this file gets a key of its own." + then;
    }

    /** An earlier intent still to look for, or null once its grace is over. */
    private Instant unsettled(Instant started) {
        return started != null && clock.instant().isBefore(started.plus(KeyRules.UNFINISHED_CREATE_GRACE)) ? started : null;
    }

    /** Whether the interrupted create's key was found; only a file holding no key waits for it. */
    private boolean collectUnfinishedCreate(EnvFile file, ApiKey managementKey, Predicate<KeyInfo> ours, Instant started) {
        say.accept("An earlier run was interrupted while creating a key: removing what it left on OpenRouter.");
        Set<String> keep = file.keyHash().map(Set::of).orElse(Set.of());
        Consumer<KeyInfo> deleted = k -> say.accept("Deleted OpenRouter key " + k.label() + ": an interrupted run created it "
                + "but never wrote it to " + file.path() + ".");
        // the list shows names as they were; a fresh read of each candidate shows the mark before it is deleted
        Predicate<KeyInfo> freshlyOurs = k -> ours.test(k) && keys.get(managementKey, k.hash()).filter(ours).isPresent();
        boolean accounted = KeyRules.collectUnfinishedCreate(keys, managementKey, freshlyOurs, started, keep, deleted);
        while (!accounted && file.key().isEmpty() && clock.instant().isBefore(started.plus(KeyRules.UNFINISHED_CREATE_GRACE))) {
            Duration left = Duration.between(clock.instant(), started.plus(KeyRules.UNFINISHED_CREATE_GRACE));
            say.accept("Its key has not appeared in OpenRouter's list yet; looking again for up to " + left.toSeconds() + " s.");
            pause(left.compareTo(Duration.ofSeconds(5)) < 0 ? left : Duration.ofSeconds(5));
            accounted = KeyRules.collectUnfinishedCreate(keys, managementKey, freshlyOurs, started, keep, deleted);
        }
        return accounted;
    }

    /** Checks the new key as the application will use it, for as long as a new key may take to propagate. */
    private void confirm(ApiKey managementKey, ApiKey key, KeyInfo made) throws Refusal {
        if (!HASH.matcher(String.valueOf(made.hash())).matches()) {
            throw new Refusal(MaiEnvCommand.FAILED, "OpenRouter answered the new key " + made.label() + " with a hash that is "
                    + "not 64 lowercase hex characters. The key is in the file, but mai-env sends no such hash in a request, "
                    + "so it was not checked; the next run refuses the file until " + Environment.KEY_HASH + " is mended.");
        }
        Instant until = clock.instant().plus(KeyRules.PROPAGATION);
        Verdict verdict = KeyRules.verify(keys, managementKey, key, made.hash());
        while (verdict == Verdict.NOT_YET && clock.instant().isBefore(until)) {
            pause(RECHECK);
            verdict = KeyRules.verify(keys, managementKey, key, made.hash());
        }
        switch (verdict) {
            case VALID -> say.accept("Checked: the key authenticates with OpenRouter.");
            case NOT_YET -> say.accept("Warning: the new key does not authenticate yet after " + KeyRules.PROPAGATION.toSeconds()
                    + " s. OpenRouter may still be propagating it; run mai-env again in a few minutes to check.");
            case REVOKED, DISABLED -> throw new Refusal(MaiEnvCommand.FAILED, "The new key " + made.label() + " was "
                    + (verdict == Verdict.REVOKED ? "deleted" : "disabled") + " on OpenRouter right after it was created. "
                    + "Check the account's keys, then run mai-env again.");
        }
    }

    private void save(EnvFile file, String text, String what) throws IOException {
        if (text.equals(file.content())) {
            if (file.openToOthers()) {
                file.restrictToOwner();
                say.accept(what + " is valid and up to date; " + file.path() + " is unchanged, but its mode is now 600 "
                        + "(others could read it).");
            } else {
                say.accept(what + " is valid and up to date; " + file.path() + " is unchanged.");
            }
            return;
        }
        file.write(text);
        say.accept(what + " is valid; wrote " + file.path() + " (mode 600" + kept(file) + ").");
    }

    private Environment.Inputs inputs(ApiKey key, String hash, String createdAt, MaiClientSpec spec) {
        return new Environment.Inputs(key, hash, createdAt, spec.getExternalUser(), openrouterHost);
    }

    static String kept(EnvFile file) {
        int n = file.keptVariables();
        return n == 0 ? "" : "; kept " + n + " other variable" + (n == 1 ? "" : "s");
    }

    static String resets(MaiClientSpec spec) {
        return spec.getLimitReset() == null ? "never resets" : "resets " + spec.getLimitReset();
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpenRouterException("wait", OpenRouterException.NO_RESPONSE, "interrupted", null, null);
        }
    }
}
