package dev.mai.operator.core;

import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CallerKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The rules for taking over a key that exists already (a client of the old script, a {@code .env}
 * the mai-env command kept) instead of minting a new one: which key of the account a key value is,
 * whether it may be taken, and the settings it gets. OpenRouter shows a key's value once and never
 * says which hash a value has: the hash is found by the masked label, computed from the value
 * itself, and the figures {@code GET /key} with the value returns (limit, reset, spend). 24 bits of
 * label collide at scale, so more than one match is refused until a person names the hash — which
 * may only choose among the matches, never override them.
 */
public final class KeyAdoption {

    /** How far a key's spend may move between the listing and {@code GET /key}: a dollar, or 1% of it. */
    static final BigDecimal DRIFT = BigDecimal.ONE;

    private KeyAdoption() {
    }

    /** What the rules say: the key to take over, or the field at fault and the rule it breaks. */
    public sealed interface Verdict permits Adopt, Refuse {
    }

    /** Take over {@code key}; {@code resumed}: its name already marks it as this client's (an adoption cut short). */
    public record Adopt(KeyInfo key, boolean resumed) implements Verdict {
    }

    /** Take nothing over: {@code field} breaks {@code rule}. */
    public record Refuse(String field, String rule) implements Verdict {
    }

    /** Who is adopting: this installation and client, and the owners an administrator lets keys move from. */
    public record Adopter(String installationId, String uid, Predicate<Names.KeyOwner> movableFrom) {
    }

    /**
     * The masked label OpenRouter shows for a key: {@code sk-or-v1-} and the first 3 and last 3 hex
     * characters of the key's own part; empty when the value has not a key's shape.
     */
    public static Optional<String> label(ApiKey key) {
        String value = key.reveal();
        String prefix = "sk-or-v1-";
        if (!value.startsWith(prefix) || value.length() < prefix.length() + 6) {
            return Optional.empty();
        }
        String own = value.substring(prefix.length());
        return Optional.of(prefix + own.substring(0, 3) + "..." + own.substring(own.length() - 3));
    }

    /**
     * Which key of {@code listed} (every key of the management key's account) the value {@code key}
     * is, given what {@code GET /key} with it said ({@code self}: empty on 401), and whether
     * {@code adopter} may take it. {@code askedHash}: the hash a person named, or null. {@code field}:
     * where the key came from, named in every refusal.
     */
    public static Verdict choose(String field, ApiKey key, Optional<CallerKey> self, List<KeyInfo> listed, String askedHash,
            Adopter adopter) {
        if (self.isEmpty()) {
            return new Refuse(field, "holds a key OpenRouter does not accept (GET /key answers 401): deleted, disabled, "
                    + "or not an OpenRouter key");
        }
        if (self.get().management()) {
            return new Refuse(field, "holds a management key, which can manage every key of its account: give the key "
                    + "of this one client");
        }
        Optional<String> label = label(key);
        if (label.isEmpty()) {
            return new Refuse(field, "does not hold a key of OpenRouter's shape (sk-or-v1-...)");
        }
        List<KeyInfo> matches = listed.stream().filter(k -> label.get().equals(k.label()) && sameFigures(k, self.get())).toList();
        if (matches.isEmpty()) {
            return new Refuse(field, "holds key " + label.get() + ", which the management key's account does not list "
                    + "with these figures: it belongs to another account");
        }
        Optional<KeyInfo> chosen = pick(matches, askedHash);
        if (chosen.isEmpty()) {
            return askedHash != null
                    ? new Refuse(field + ".hash", "names no key of the account with the label " + label.get()
                            + " and the figures of the key given")
                    : new Refuse(field + ".hash", matches.size() + " keys of the account have the label " + label.get()
                            + " and the same figures: set it to the hash of the key given (OpenRouter's dashboard shows it)");
        }
        return mayTake(field, chosen.get(), adopter);
    }

    /**
     * What the adopted key becomes: named for its new owner, the spec's limit and reset, its spend
     * kept (adoption never resets a budget). A limit the key already spent in its period would leave
     * nothing: the key is disabled instead, its limit as it was (a limit of 0 is never sent).
     */
    public static KeyPatch patch(KeyInfo key, String name, Optional<BigDecimal> limit, String limitReset) {
        KeyPatch patch = new KeyPatch();
        if (!name.equals(key.name())) {
            patch.name(name);
        }
        if (!Objects.equals(limitReset, key.limitReset())) {
            patch.limitReset(limitReset);
        }
        BigDecimal spent = Money.cents(new KeyInfo(key.hash(), key.name(), key.label(), key.disabled(), key.limit(),
                key.limitRemaining(), limitReset, key.usage(), key.usageDaily(), key.usageWeekly(), key.usageMonthly(),
                key.createdAt()).usageInPeriod());
        if (limit.isPresent() && Money.cents(limit.get()).compareTo(spent) <= 0) {
            if (!key.disabled()) {
                patch.disabled(true);
            }
        } else if (!Money.sameCents(limit.orElse(null), key.limit())) {
            patch.limit(limit.map(Money::cents).orElse(null));
        }
        return patch;
    }

    private static Optional<KeyInfo> pick(List<KeyInfo> matches, String askedHash) {
        if (askedHash != null) {
            return matches.stream().filter(k -> askedHash.equals(k.hash())).findFirst();
        }
        return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
    }

    /** A key with no mark may be taken; one this client marked already is resumed; others only if allowed. */
    private static Verdict mayTake(String field, KeyInfo key, Adopter adopter) {
        Optional<Names.KeyOwner> owner = Names.keyOwner(key.name());
        if (owner.isEmpty()) {
            return new Adopt(key, false);
        }
        Names.KeyOwner o = owner.get();
        if (o.installationId().equals(adopter.installationId()) && o.uid().equals(adopter.uid()) && !o.retained()) {
            return new Adopt(key, true);
        }
        if (o.installationId().equals(adopter.installationId()) && !o.retained()) {
            return new Refuse(field, "holds the key of another MaiClient of this operator");
        }
        if (adopter.movableFrom().test(o)) {
            return new Adopt(key, false);
        }
        String whose = o.retained() ? "kept after its MaiClient was deleted (retained)"
                : Names.ENV_INSTALLATION.equals(o.installationId()) ? "managed by a mai-env .env file"
                : "managed by another operator installation (" + o.installationId() + ")";
        return new Refuse(field, "holds a key " + whose + "; an administrator allows moving such keys in the operator's "
                + "settings, a MaiClient cannot");
    }

    /** The listing's figures are those {@code GET /key} gave: limit and reset alike, spend within the drift. */
    private static boolean sameFigures(KeyInfo listed, CallerKey self) {
        if (!Money.sameCents(listed.limit(), self.limit()) || !Objects.equals(listed.limitReset(), self.limitReset())) {
            return false;
        }
        BigDecimal gap = listed.usage().subtract(self.usage()).abs();
        return gap.compareTo(DRIFT.max(self.usage().movePointLeft(2))) <= 0;
    }
}
