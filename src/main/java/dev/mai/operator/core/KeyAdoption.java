package dev.mai.operator.core;

import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CallerKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The rules for taking over a key that exists already (a client of the old script, a {@code .env}
 * the mai-env command kept) instead of minting a new one: which key of the account a key value may
 * be, whether it may be taken, and the settings it gets. OpenRouter shows a key's value once and
 * never says which hash a value has: candidates are found by the masked label, computed from the
 * value itself, and the figures {@code GET /key} with the value returns (limit, reset, spend). 24
 * bits of label collide at scale, so more than one match is refused until a person names the hash —
 * which may only choose among the matches, never override them.
 *
 * <p>A match is not proof that the value is that key: whoever holds a key of another account can
 * give it the same figures, and a label of 24 bits can be ground. A front end that acts for someone
 * who does not hold the management key proves possession before it takes the key: it raises the
 * key's limit by a random amount ({@link #challengeLimit}) and takes the key only when
 * {@code GET /key} with the value shows that limit ({@link #proves}), restoring the limit otherwise. The
 * refusals a tenant sees say what to do and nothing about the keys of the account: how many matched
 * and whose a marked key is stay in the operator's log.
 */
public final class KeyAdoption {

    /**
     * How far a key's spend may grow between the listing and {@code GET /key} (called in that
     * order): a dollar, or 1% of the listed spend.
     */
    static final BigDecimal DRIFT = BigDecimal.ONE;
    private static final BigDecimal CENT = new BigDecimal("0.01");

    /** The owner a key kept after its MaiClient was deleted has, as an administrator names it in MAI_ADOPTION_FROM. */
    public static final String RETAINED = "retained";

    /** How many different challenges there are: a proof is a guess of 1 in this many for someone who does not hold the key. */
    public static final int CHALLENGES = 9999;

    /** The limit a challenge is added to when the key has none: a cap far above any real spend. */
    static final BigDecimal UNLIMITED_BASE = new BigDecimal("1000000");

    private KeyAdoption() {
    }

    /** What the rules say: the key to take over, or the field at fault and the rule it breaks. */
    public sealed interface Verdict permits Adopt, Refuse {
    }

    /** Take over {@code key}; {@code resumed}: its name already marks it as this client's (an adoption cut short). */
    public record Adopt(KeyInfo key, boolean resumed) implements Verdict {
    }

    /**
     * Take nothing over: {@code field} breaks {@code rule}. {@code aboutTheAccount}: the rule tells
     * something about the account's keys (none matches, a hash names none, a key is managed): a front
     * end that answers someone without the management key says less.
     */
    public record Refuse(String field, String rule, boolean aboutTheAccount) implements Verdict {
        public Refuse(String field, String rule) {
            this(field, rule, false);
        }
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
        if (!ApiKey.SHAPE.matcher(value).matches()) {
            return Optional.empty();
        }
        String own = value.substring("sk-or-v1-".length());
        return Optional.of("sk-or-v1-" + own.substring(0, 3) + "..." + own.substring(own.length() - 3));
    }

    /** True when {@code key} has an OpenRouter key's shape: check it before the value goes into any request. */
    public static boolean keyShaped(ApiKey key) {
        return ApiKey.SHAPE.matcher(key.reveal()).matches();
    }

    /**
     * Which key of {@code listed} (every key of the management key's account) the value {@code key}
     * is, given what {@code GET /key} with it said ({@code self}: empty on 401), and whether
     * {@code adopter} may take it. {@code askedHash}: the hash a person named, or null. {@code field}:
     * where the key came from, named in every refusal.
     */
    public static Verdict choose(String field, ApiKey key, Optional<CallerKey> self, List<KeyInfo> listed, String askedHash,
            Adopter adopter) {
        Optional<String> label = label(key);
        if (label.isEmpty()) {
            return new Refuse(field, "does not hold a key of OpenRouter's shape (sk-or-v1- and 64 lower-case hex digits)");
        }
        if (self.isEmpty()) {
            return new Refuse(field, "holds a key OpenRouter does not accept (GET /key answers 401): deleted, disabled, "
                    + "or not an OpenRouter key");
        }
        if (self.get().management()) {
            return new Refuse(field, "holds a management key, which can manage every key of its account: give the key "
                    + "of this one client");
        }
        if (!label.get().equals(self.get().label())) {
            return new Refuse(field, "holds a key whose label OpenRouter gives as " + self.get().label() + ", not "
                    + label.get() + ": it cannot be found among the account's keys");
        }
        List<KeyInfo> matches = listed.stream()
                .filter(k -> !k.disabled() && label.get().equals(k.label()) && sameFigures(k, self.get())).toList();
        if (askedHash != null && !KeyInfo.isHash(askedHash)) {
            return new Refuse(field + ".hash", "must be 64 lower-case hex digits");
        }
        if (matches.isEmpty()) {
            return new Refuse(field, "holds key " + label.get() + ", which cannot be adopted with this management key (an "
                    + "administrator can tell why from the operator's log)", true);
        }
        Optional<KeyInfo> chosen = pick(matches, askedHash);
        if (chosen.isEmpty()) {
            return askedHash != null
                    ? new Refuse(field + ".hash", "names no key that can be adopted for the key given", true)
                    : new Refuse(field + ".hash", "is needed: more than one key of the account looks like the key given; set "
                            + "it to the hash of that key (OpenRouter's dashboard shows it)");
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
            patch.limitReset(limitReset); // the spend counted from then on is that of the new period's window
        }
        BigDecimal spent = Money.cents(Optional.ofNullable(KeyInfo.usageInPeriod(limitReset, key.usage(), key.usageDaily(),
                key.usageWeekly(), key.usageMonthly())).orElse(BigDecimal.ZERO));
        Optional<BigDecimal> cap = limit.map(Money::cents);
        boolean nothingLeft = cap.isPresent() && cap.get().compareTo(spent) <= 0;
        if (nothingLeft && !key.disabled()) {
            patch.disabled(true);
        }
        // disabled or not, the key carries the spec's cap: enabled again by hand it still cannot spend past it
        if (!Money.sameCents(cap.orElse(null), key.limit()) && (cap.isEmpty() || cap.get().signum() > 0)) {
            patch.limit(cap.orElse(null));
        }
        return patch;
    }

    /**
     * The owners an administrator lets keys move from ({@code owners}: installation ids, {@code mai-env},
     * {@link #RETAINED}) as {@link Adopter#movableFrom()}. A retained key moves only with {@link #RETAINED}.
     */
    public static Predicate<Names.KeyOwner> movableFrom(Collection<String> owners) {
        Set<String> allowed = Set.copyOf(owners);
        return o -> o.retained() ? allowed.contains(RETAINED) : allowed.contains(o.installationId());
    }

    /**
     * The proof of possession: the limit the key found is given for a moment, {@code previous} (its
     * limit, null: none) raised by {@code challenge} cents (1 to {@link #CHALLENGES}, drawn at random
     * and never shown). Only the key's holder sees it in {@code GET /key}; someone matching the key's
     * label and figures with a key of another account would have to guess it.
     */
    public static BigDecimal challengeLimit(BigDecimal previous, int challenge) {
        if (challenge < 1 || challenge > CHALLENGES) {
            throw new IllegalArgumentException("a challenge is 1 to " + CHALLENGES + " cents");
        }
        return Money.cents((previous == null ? UNLIMITED_BASE : previous).add(BigDecimal.valueOf(challenge, 2)));
    }

    /** True when {@code GET /key} with the value ({@code self}) shows the challenge's limit: the value is the key found. */
    public static boolean proves(Optional<CallerKey> self, BigDecimal challengeLimit) {
        return self.isPresent() && !self.get().management() && Money.sameCents(self.get().limit(), challengeLimit);
    }

    private static Optional<KeyInfo> pick(List<KeyInfo> matches, String askedHash) {
        if (askedHash != null) {
            return matches.stream().filter(k -> askedHash.equals(k.hash())).findFirst();
        }
        return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
    }

    /**
     * A key with no mark may be taken; one this client marked already is resumed (a front end accepts
     * that only with its own record of an adoption of this key under way); others only if an
     * administrator allows moves from their owner. A name with a mark that cannot be read (edited by
     * hand) is refused.
     */
    private static Verdict mayTake(String field, KeyInfo key, Adopter adopter) {
        Optional<Names.KeyOwner> owner = Names.keyOwner(key.name());
        if (owner.isEmpty() && key.name() != null && key.name().contains("[mai:")) {
            return new Refuse(field, OTHERS, true);
        }
        if (owner.isEmpty()) {
            return new Adopt(key, false);
        }
        Names.KeyOwner o = owner.get();
        if (o.installationId().equals(adopter.installationId()) && o.uid().equals(adopter.uid()) && !o.retained()) {
            return new Adopt(key, true);
        }
        if (o.installationId().equals(adopter.installationId()) && !o.retained()) {
            return new Refuse(field, OTHERS, true); // another MaiClient's key of this operator: never
        }
        return adopter.movableFrom().test(o) ? new Adopt(key, false) : new Refuse(field, OTHERS, true);
    }

    /** One answer for every owner: whose the key is (another client, installation, file) is not the tenant's to learn. */
    private static final String OTHERS = "holds a key that is managed already (by another MaiClient, another operator "
            + "installation, a mai-env .env file, or kept after its MaiClient was deleted); an administrator can allow moving "
            + "such keys in the operator's settings, a MaiClient cannot";

    /**
     * The listing's figures are those {@code GET /key} gave: limit and reset alike, and the spend
     * {@code GET /key} saw (after the listing) at most a cent below the listed one and within the drift above it.
     */
    private static boolean sameFigures(KeyInfo listed, CallerKey self) {
        if (!Money.sameCents(listed.limit(), self.limit()) || !Objects.equals(listed.limitReset(), self.limitReset())) {
            return false;
        }
        BigDecimal grown = self.usage().subtract(listed.usage());
        return grown.compareTo(CENT.negate()) >= 0 && grown.compareTo(DRIFT.max(listed.usage().movePointLeft(2))) <= 0;
    }
}
