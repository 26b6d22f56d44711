package dev.mai.operator.env;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CreatedKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import dev.mai.operator.openrouter.KeySettings;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import dev.mai.operator.reconciler.EnvSecret;
import dev.mai.operator.reconciler.KeyLifecycle;
import dev.mai.operator.reconciler.KeyLifecycle.Verdict;
import dev.mai.operator.reconciler.Money;
import dev.mai.operator.reconciler.Names;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;

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
 */
final class EnvKey {

    /** As the operator's: how long a key from an interrupted create may take to show up in the list. */
    static final Duration UNFINISHED_CREATE_GRACE = Duration.ofSeconds(30);
    /** As the operator's: how long a new key may answer 401 while it propagates. */
    static final Duration PROPAGATION = Duration.ofSeconds(60);
    static final Duration RECHECK = Duration.ofSeconds(2);

    /** What the run is asked for: the spec's four settings, and whether to replace a working key. */
    record Settings(MaiClientSpec spec, boolean rotate) {
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

    /** Brings the file and its key in line with {@code settings}; returns the key the file holds afterwards. */
    ApiKey apply(EnvFile file, Settings settings, ApiKey managementKey) throws IOException, Refusal {
        String id = file.id().orElseGet(() -> UUID.randomUUID().toString());
        MaiClientSpec spec = settings.spec();
        KeySettings want = new KeySettings(Names.keyName(spec.getOrganizationName(), reference, Names.ENV_INSTALLATION, id, false),
                Money.limit(spec.getSpendingLimit()).orElse(null), spec.getLimitReset(), false);
        Predicate<KeyInfo> ours = key -> Names.keyOwner(key.name())
                .filter(o -> !o.retained() && Names.ENV_INSTALLATION.equals(o.installationId()) && id.equals(o.uid()))
                .isPresent();

        // an intent whose key has not shown up yet stays in the file (for the next run to look again) until the grace is over
        Instant unsettled = file.createStarted().isPresent()
                && !collectUnfinishedCreate(file, managementKey, ours, file.createStarted().get()) ? file.createStarted().get() : null;

        Optional<ApiKey> key = file.key();
        Optional<String> hash = file.keyHash();
        KeyInfo current = null;
        KeyInfo old = null;
        if (key.isPresent() && hash.isPresent()) {
            Optional<KeyInfo> info = keys.get(managementKey, hash.get());
            if (info.isEmpty() && keys.authenticates(key.get())) {
                // OpenRouter's lookups are eventually consistent: a key that authenticates exists
                say.accept("OpenRouter does not show the key in " + file.path() + " yet, but it authenticates: keeping it. "
                        + "Run mai-env again in a minute to bring its limit and name in line.");
                return key.get();
            } else if (info.isEmpty()) {
                say.accept("The key in " + file.path() + " was deleted on OpenRouter: creating a new one.");
            } else if (foreign(info.get(), ours)) {
                say.accept("The key in " + file.path() + " (" + info.get().label() + ") belongs to someone else (its name ends in "
                        + "another owner's mark, e.g. a MaiClient's): creating one for this file and leaving that key alone.");
            } else if (info.get().disabled()) {
                if (!settings.rotate()) {
                    throw new Refusal(MaiEnvCommand.KEY_DISABLED, "The key in " + file.path() + " (" + info.get().label()
                            + ") is disabled on OpenRouter, and mai-env does not enable a key someone disabled: a person "
                            + "may have pulled the brake on a leaked key. Run again with --rotate for a new key (the "
                            + "disabled one is then deleted), or enable it on OpenRouter and run again.");
                }
                old = info.get();
            } else if (!keys.authenticates(key.get())) {
                say.accept("The key in " + file.path() + " does not authenticate (was it changed by hand?): replacing it.");
                old = info.get();
            } else if (settings.rotate()) {
                old = info.get();
            } else {
                current = info.get();
            }
        } else if (key.isPresent()) {
            say.accept("The key in " + file.path() + " was not created by mai-env (the file has no "
                    + EnvSecret.KEY_HASH + "): creating one that mai-env manages. The old key is left on OpenRouter; "
                    + "delete it there once nothing uses it.");
        }

        if (current != null) {
            KeyPatch patch = KeyLifecycle.difference(want, current);
            if (!patch.isEmpty()) {
                current = keys.update(managementKey, current.hash(), patch);
                say.accept("Updated OpenRouter key " + current.label() + ": " + patch.describe() + ".");
            }
            String body = EnvSecret.dotenv("mai-env", spec, inputs(key.get(), current.hash(), current.createdAt(), spec));
            save(file, file.render(new EnvFile.Block(id, spec.getLimitReset(), unsettled(unsettled), body)), "OpenRouter key " + current.label());
            return key.get();
        }

        // the intent first, with the id the new key's name carries: an interrupted run is cleaned up by the next
        Instant started = clock.instant();
        file.write(file.render(new EnvFile.Block(id, spec.getLimitReset(), started, null)));
        CreatedKey created;
        try {
            created = keys.create(managementKey, want);
        } catch (OpenRouterException e) {
            if (e.status() >= 400 && e.status() < 500 && !e.retryable()) {
                file.restore(); // refused: no key was made, so no trace of the attempt either
            }
            throw e; // otherwise the outcome is unknown: the intent stays for the next run
        }
        KeyInfo made = created.info();
        String body = EnvSecret.dotenv("mai-env", spec, inputs(created.key(), made.hash(), made.createdAt(), spec));
        file.write(file.render(new EnvFile.Block(id, spec.getLimitReset(), unsettled(unsettled), body)));
        say.accept("Created OpenRouter key " + made.label() + " for " + spec.getOrganizationName() + " (limit "
                + Money.format(Money.limit(spec.getSpendingLimit())) + ", " + resets(spec) + ") and wrote it to "
                + file.path() + " (mode 600" + kept(file) + ").");

        if (old != null) {
            if (ours.test(old)) {
                keys.delete(managementKey, old.hash());
                say.accept("Deleted the old OpenRouter key " + old.label() + ".");
            } else {
                say.accept("Left the old OpenRouter key " + old.label() + " alone: its name does not mark it as this "
                        + "file's key. Delete it on OpenRouter once nothing uses it.");
            }
        }
        confirm(managementKey, created.key(), made);
        return created.key();
    }

    /** An earlier intent still to look for, or null once its grace is over. */
    private Instant unsettled(Instant started) {
        return started != null && clock.instant().isBefore(started.plus(UNFINISHED_CREATE_GRACE)) ? started : null;
    }

    /** Whether a key's name marks it as another owner's (a MaiClient's, another file's); a name without a mark is not. */
    private static boolean foreign(KeyInfo key, Predicate<KeyInfo> ours) {
        return Names.keyOwner(key.name()).isPresent() && !ours.test(key);
    }

    /** Whether the interrupted create's key was found; only a file holding no key waits for it. */
    private boolean collectUnfinishedCreate(EnvFile file, ApiKey managementKey, Predicate<KeyInfo> ours, Instant started) {
        say.accept("An earlier run was interrupted while creating a key: removing what it left on OpenRouter.");
        Set<String> keep = file.keyHash().map(Set::of).orElse(Set.of());
        Consumer<KeyInfo> deleted = k -> say.accept("Deleted OpenRouter key " + k.label() + ": an interrupted run created it "
                + "but never wrote it to " + file.path() + ".");
        boolean accounted = KeyLifecycle.collectUnfinishedCreate(keys, managementKey, ours, started, keep, deleted);
        while (!accounted && file.key().isEmpty() && clock.instant().isBefore(started.plus(UNFINISHED_CREATE_GRACE))) {
            Duration left = Duration.between(clock.instant(), started.plus(UNFINISHED_CREATE_GRACE));
            say.accept("Its key has not appeared in OpenRouter's list yet; looking again for up to " + left.toSeconds() + " s.");
            pause(left.compareTo(Duration.ofSeconds(5)) < 0 ? left : Duration.ofSeconds(5));
            accounted = KeyLifecycle.collectUnfinishedCreate(keys, managementKey, ours, started, keep, deleted);
        }
        return accounted;
    }

    /** Checks the new key as the application will use it, for as long as a new key may take to propagate. */
    private void confirm(ApiKey managementKey, ApiKey key, KeyInfo made) throws Refusal {
        Instant until = clock.instant().plus(PROPAGATION);
        Verdict verdict = KeyLifecycle.verify(keys, managementKey, key, made.hash());
        while (verdict == Verdict.NOT_YET && clock.instant().isBefore(until)) {
            pause(RECHECK);
            verdict = KeyLifecycle.verify(keys, managementKey, key, made.hash());
        }
        switch (verdict) {
            case VALID -> say.accept("Checked: the key authenticates with OpenRouter.");
            case NOT_YET -> say.accept("Warning: the new key does not authenticate yet after " + PROPAGATION.toSeconds()
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

    private EnvSecret.Inputs inputs(ApiKey key, String hash, String createdAt, MaiClientSpec spec) {
        return new EnvSecret.Inputs(key, hash, createdAt, spec.getExternalUser(), openrouterHost);
    }

    private static String kept(EnvFile file) {
        int n = file.keptVariables();
        return n == 0 ? "" : "; kept " + n + " other variable" + (n == 1 ? "" : "s");
    }

    private static String resets(MaiClientSpec spec) {
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
