package dev.mai.operator.env;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.core.Environment;
import dev.mai.operator.core.KeyAdoption;
import dev.mai.operator.core.KeyAdoption.Adopt;
import dev.mai.operator.core.KeyAdoption.Adopter;
import dev.mai.operator.core.KeyAdoption.Refuse;
import dev.mai.operator.core.KeyAdoption.Verdict;
import dev.mai.operator.core.Money;
import dev.mai.operator.core.Names;
import dev.mai.operator.core.SpecValidator;
import dev.mai.operator.env.EnvKey.Refusal;
import dev.mai.operator.env.EnvKey.Target;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CallerKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Takes over the key a {@code .env} holds that mai-env did not make (the old script's, or one made by
 * hand) instead of minting a second one: the key is found among the management key's keys by the
 * rules of {@link KeyAdoption} ({@code GET /keys}, then {@code GET /key} with the key itself), renamed
 * with the file's mark, given the limit and reset asked for, its spend kept; never a {@code POST}.
 *
 * <p>Crash safety: the hash being adopted is written into the file's block before the PATCH. A run
 * that finds it reads that key: carrying this file's mark, it is the file's (the PATCH went through)
 * and the adoption is finished; without it the key is chosen again. A key already named with this
 * file's mark is accepted only when the file recorded that very hash.
 *
 * <p>Writes: one PATCH of the chosen key, after a fresh read shows it as it was listed (same name,
 * not disabled), or, resuming, shows this file's mark; its answer must show the mark. A refusal writes
 * nothing, on OpenRouter or in the file. Adoption never disables a key: a limit at or below what the
 * key spent in its period is refused (the Compose client keeps working), where the operator, which
 * adopts unattended, disables it.
 */
final class EnvAdoption {

    private final OpenRouterKeys keys;
    private final String openrouterHost;
    private final Consumer<String> say;

    EnvAdoption(OpenRouterKeys keys, String openrouterHost, Consumer<String> say) {
        this.keys = keys;
        this.openrouterHost = openrouterHost;
        this.say = say;
    }

    /** True when a run on {@code file} adopts its key: it holds one, and no mai-env block or an adoption under way. */
    static boolean adopts(EnvFile file) {
        return file.key().isPresent() && (file.id().isEmpty() || file.adoptStarted().isPresent());
    }

    /**
     * Adopts {@code key}, the file's, for {@code target}; {@code askedHash}: {@code --adopt-hash}, or null;
     * {@code keepReset}: the key keeps the limit reset it has instead of the target's.
     */
    ApiKey adopt(EnvFile file, Target target, ApiKey managementKey, ApiKey key, String askedHash, boolean keepReset)
            throws IOException, Refusal {
        Optional<String> recorded = file.adoptStarted().filter(KeyInfo::isHash);
        if (recorded.isPresent()) {
            Optional<KeyInfo> renamed = keys.get(managementKey, recorded.get()).filter(target.ours()).filter(k -> k.labelAllows(key));
            if (renamed.isPresent()) {
                say.accept("An earlier run was interrupted while adopting the key in " + file.path() + ": finishing it.");
                return finish(file, target, managementKey, key, renamed.get(), false);
            }
        }
        KeyInfo chosen = choose(file, target, managementKey, key, askedHash, recorded);
        // decided before the intent is written, which records the reset: a run finishing this adoption keeps it
        Target adopting = keepReset ? target.resetting(keptReset(file, chosen)) : target;
        refuseSpent(file, adopting, chosen);
        // the intent before the PATCH: a run cut short after it finds the key by this hash, carrying this file's mark
        file.write(file.render(adopting.adopting(chosen.hash())));
        Optional<KeyInfo> fresh = keys.get(managementKey, chosen.hash())
                .filter(k -> !k.disabled() && Objects.equals(k.name(), chosen.name()));
        if (fresh.isEmpty()) {
            file.restore(); // nothing was written on OpenRouter: no trace of the attempt either
            throw new Refusal(MaiEnvCommand.ADOPTION_REFUSED, "The key in " + file.path() + " (" + chosen.label() + ") was "
                    + "renamed, disabled or deleted on OpenRouter while this run was looking at it, so it was not adopted; "
                    + "nothing was changed. Run again.");
        }
        return finish(file, adopting, managementKey, key, fresh.get(), keepReset);
    }

    /** The reset {@code chosen} has on OpenRouter, if it is one a MaiClient may have (one the file can record). */
    private static String keptReset(EnvFile file, KeyInfo chosen) throws Refusal {
        String reset = chosen.limitReset();
        if (reset != null && !SpecValidator.LIMIT_RESETS.contains(reset)) {
            throw new Refusal(MaiEnvCommand.ADOPTION_REFUSED, "The key in " + file.path() + " (" + chosen.label() + ") resets "
                    + "its limit \"" + reset + "\" on OpenRouter, which mai-env does not know; it was not adopted and nothing "
                    + "was changed. Run again with --reset daily, weekly, monthly or never.");
        }
        return reset;
    }

    /**
     * Refuses a limit at or below what {@code key} spent in the target's period: adoption keeps the spend,
     * so the key would have nothing left and stop the running client (the operator disables it then, but a
     * person at a terminal can give a higher limit instead). A mistyped limit then changes nothing.
     */
    private static void refuseSpent(EnvFile file, Target target, KeyInfo key) throws Refusal {
        MaiClientSpec spec = target.spec();
        Optional<BigDecimal> cap = Money.limit(spec.getSpendingLimit()).map(Money::cents);
        BigDecimal spent = Money.cents(Optional.ofNullable(KeyInfo.usageInPeriod(spec.getLimitReset(), key.usage(),
                key.usageDaily(), key.usageWeekly(), key.usageMonthly())).orElse(BigDecimal.ZERO));
        if (cap.isPresent() && cap.get().compareTo(spent) <= 0) {
            throw new Refusal(MaiEnvCommand.ADOPTION_REFUSED, "The limit " + Money.format(cap) + " USD is at or below what "
                    + "the key in " + file.path() + " (" + key.label() + ") already spent " + period(spec.getLimitReset())
                    + ": " + Money.format(Optional.of(spent)) + " USD. Adoption keeps the spend, so the key would have "
                    + "nothing left; it was not adopted, and nothing was changed (the key works as before). Run again "
                    + "with a --limit above " + Money.format(Optional.of(spent)) + ".");
        }
    }

    private static String period(String limitReset) {
        if (limitReset == null) {
            return "in all (the limit never resets)";
        }
        return switch (limitReset) {
            case "daily" -> "today (the limit resets daily)";
            case "weekly" -> "this week (the limit resets weekly)";
            default -> "this month (the limit resets monthly)";
        };
    }

    /**
     * Which key of the account the file's key is, by {@link KeyAdoption#choose}. KeyAdoption asks a
     * front end for a proof of possession before it takes a key, since an operator's tenant could
     * shape another account's key to look like one of this account. The person running mai-env holds
     * the management key, which can rename, limit or delete every key of the account anyway: finding
     * which key the value is (label and figures) is all this needs.
     */
    private KeyInfo choose(EnvFile file, Target target, ApiKey managementKey, ApiKey key, String askedHash,
            Optional<String> recorded) throws Refusal {
        String field = Environment.API_KEY + " in " + file.path();
        // no mark of another owner may be taken over: a key with any mark stays with whoever keeps it (--replace instead)
        Adopter adopter = new Adopter(Names.ENV_INSTALLATION, target.id(), owner -> false);
        List<KeyInfo> listed = List.of();
        Optional<CallerKey> self = Optional.empty();
        Verdict verdict;
        if (!KeyAdoption.keyShaped(key)) {
            // refused for its shape before the value goes into any request
            verdict = KeyAdoption.choose(field, key, self, listed, askedHash, adopter);
        } else {
            listed = keys.list(managementKey); // before GET /key: the rules let the spend grow between the two, not shrink
            self = keys.describe(key);
            verdict = KeyAdoption.choose(field, key, self, listed, askedHash, adopter);
        }
        if (verdict instanceof Refuse refuse) {
            Optional<KeyInfo> marked = refuse.aboutTheAccount() && refuse.field().equals(field)
                    ? markedMatch(field, key, self, listed, askedHash, adopter) : Optional.empty();
            if (marked.isPresent()) {
                throw marked(file, field, marked.get());
            }
            throw refusal(file, field, refuse, key, listed, askedHash);
        }
        Adopt adopt = (Adopt) verdict;
        if (adopt.resumed() && !recorded.equals(Optional.of(adopt.key().hash()))) {
            throw new Refusal(MaiEnvCommand.ADOPTION_REFUSED, field + " holds key " + adopt.key().label() + ", whose name "
                    + "carries this file's mark already, though the file records no adoption of it; it was not adopted and "
                    + "nothing was changed. " + replaceInstead(file));
        }
        return adopt.key();
    }

    /**
     * PATCHes the adopted key to the target (name, limit, reset; spend kept) and writes the file;
     * {@code keptReset}: the target's reset is the one the key had.
     */
    private ApiKey finish(EnvFile file, Target target, ApiKey managementKey, ApiKey key, KeyInfo fresh, boolean keptReset)
            throws IOException, Refusal {
        MaiClientSpec spec = target.spec();
        try {
            refuseSpent(file, target, fresh); // the spend may have grown since the listing
        } catch (Refusal r) {
            file.restore();
            throw r;
        }
        KeyPatch patch = KeyAdoption.patch(fresh, target.want().name(), Money.limit(spec.getSpendingLimit()), spec.getLimitReset());
        KeyInfo adopted = fresh;
        if (!patch.isEmpty()) {
            try {
                adopted = keys.update(managementKey, fresh.hash(), patch);
            } catch (OpenRouterException e) {
                if (e.status() >= 400 && e.status() < 500 && !e.retryable()) {
                    file.restore(); // refused: the key is as it was, and so is the file
                }
                throw e; // otherwise the outcome is unknown: the hash stays in the file for the next run
            }
        }
        if (!target.ours().test(adopted)) {
            throw new Refusal(MaiEnvCommand.FAILED, "OpenRouter's answer to the PATCH of key " + adopted.label() + " does not "
                    + "show its new name with this file's mark. " + file.path() + " records the adoption under way; run "
                    + "mai-env again to finish it.");
        }
        String body = Environment.dotenv("mai-env", spec,
                new Environment.Inputs(key, adopted.hash(), adopted.createdAt(), spec.getExternalUser(), openrouterHost));
        file.write(file.render(target.block(null, body)));
        BigDecimal spent = KeyInfo.usageInPeriod(spec.getLimitReset(), adopted.usage(), adopted.usageDaily(), adopted.usageWeekly(),
                adopted.usageMonthly());
        say.accept("Adopted OpenRouter key " + adopted.label() + " for " + spec.getOrganizationName() + " (no new key): named "
                + "with this file's mark, limit " + Money.format(Money.limit(spec.getSpendingLimit())) + ", "
                + EnvKey.resets(spec) + (keptReset ? " (the key's own reset, kept; --reset changes it)" : "")
                + ", and its spend kept (" + Money.format(Optional.ofNullable(spent).or(() -> Optional.of(BigDecimal.ZERO)))
                + " USD " + (spec.getLimitReset() == null ? "in all" : "in this period") + "); wrote " + file.path() + " (mode 600"
                + EnvKey.kept(file) + ").");
        if (adopted.disabled()) {
            // someone disabled it while an adoption was cut short, or it spent up to the limit between the read and the PATCH
            throw new Refusal(MaiEnvCommand.KEY_DISABLED, "The adopted key " + adopted.label() + " is disabled on OpenRouter "
                    + "(someone disabled it, or it spent up to its limit while this run adopted it), and mai-env does not "
                    + "enable a key someone disabled. To use it, enable it on OpenRouter and run mai-env (with a higher "
                    + "--limit if it was spent); or run with --rotate for a new key (the adopted one is then deleted).");
        }
        return key;
    }

    /**
     * The key the file's key matched whose mark refused it, if that was the refusal. KeyAdoption gives a
     * tenant one answer for a marked key and for no match at all, worded for a MaiClient; mai-env, run by
     * the holder of the management key, says which. The rules are asked again with every listed name
     * unmarked: a key they then take is the one its mark kept from being taken.
     */
    private static Optional<KeyInfo> markedMatch(String field, ApiKey key, Optional<CallerKey> self, List<KeyInfo> listed,
            String askedHash, Adopter adopter) {
        List<KeyInfo> unmarked = listed.stream().map(k -> new KeyInfo(k.hash(), null, k.label(), k.disabled(), k.limit(),
                k.limitRemaining(), k.limitReset(), k.usage(), k.usageDaily(), k.usageWeekly(), k.usageMonthly(), k.createdAt()))
                .toList();
        if (KeyAdoption.choose(field, key, self, unmarked, askedHash, adopter) instanceof Adopt adopt) {
            return listed.stream().filter(k -> k.hash().equals(adopt.key().hash())).findFirst();
        }
        return Optional.empty();
    }

    /** mai-env's refusal of a key whose name carries another owner's mark: whose it is, and what to do. */
    private static Refusal marked(EnvFile file, String field, KeyInfo key) {
        Optional<Names.KeyOwner> owner = Names.keyOwner(key.name());
        String whose;
        if (owner.isEmpty()) {
            whose = "whose name ends in a mark of mai-env's or an operator's that cannot be read (edited by hand?)";
        } else if (Names.ENV_INSTALLATION.equals(owner.get().installationId())) {
            whose = "which another .env file keeps with mai-env (its name carries that file's mark): this file may be a copy "
                    + "of that project's";
        } else if (owner.get().retained()) {
            whose = "which a mai-operator installation kept after its MaiClient was deleted (its name carries the "
                    + "operator's mark)";
        } else {
            whose = "which a mai-operator installation manages (its name carries a MaiClient's mark: the client was moved "
                    + "to Kubernetes)";
        }
        return new Refusal(MaiEnvCommand.ADOPTION_REFUSED, field + " holds key " + key.label() + ", " + whose + ". mai-env "
                + "takes over no key that carries another owner's mark, so it was not adopted. Nothing was changed: no key "
                + "was written on OpenRouter, and the file is as it was. " + replaceInstead(file));
    }

    /** The refusal of {@code refuse}, saying what to do; the account's look-alikes by hash when a choice is asked for. */
    private static Refusal refusal(EnvFile file, String field, Refuse refuse, ApiKey key, List<KeyInfo> listed, String askedHash) {
        boolean hash = refuse.field().equals(field + ".hash");
        StringBuilder message = new StringBuilder(hash ? "--adopt-hash" : refuse.field()).append(' ').append(refuse.rule())
                .append(". Nothing was changed: no key was written on OpenRouter, and the file is as it was.");
        Optional<String> label = KeyAdoption.label(key);
        if (hash && askedHash == null && label.isPresent()) {
            // the person running mai-env holds the management key: the account's keys are theirs to see
            String lookAlikes = listed.stream().filter(k -> !k.disabled() && label.get().equals(k.label()))
                    .map(k -> k.hash() + " (created " + k.createdAt() + ")").collect(Collectors.joining(", "));
            message.append(" Keys of the account labelled ").append(label.get()).append(": ").append(lookAlikes)
                    .append(". Run again with --adopt-hash and the hash of the key the file holds (OpenRouter's dashboard "
                            + "shows each key's hash and name), or with --replace for a new key.");
        } else {
            message.append(' ').append(replaceInstead(file));
        }
        return new Refusal(MaiEnvCommand.ADOPTION_REFUSED, message.toString());
    }

    private static String replaceInstead(EnvFile file) {
        return "To give " + file.path() + " a key of its own instead, run again with --replace: a new key is created, and "
                + "the key the file holds now is left on OpenRouter as it is (delete it there once nothing uses it).";
    }
}
