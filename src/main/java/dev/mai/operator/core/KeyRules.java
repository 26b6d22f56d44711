package dev.mai.operator.core;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import dev.mai.operator.openrouter.KeySettings;
import dev.mai.operator.openrouter.OpenRouterKeys;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The rules of a client's key both front ends follow: the settings the spec asks for, the PATCH that
 * brings a key in line, the verdict on a key as its application uses it, and the resolution of a
 * create whose outcome is unknown. Calls go through the {@link OpenRouterKeys} port only.
 */
public final class KeyRules {

    /** How far OpenRouter's clock may be behind ours when telling a fresh key from an old one. */
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    /**
     * How long a key from an unfinished create may take to show up in OpenRouter's list before a
     * front end concludes there is none and creates another (the list is eventually consistent).
     */
    public static final Duration UNFINISHED_CREATE_GRACE = Duration.ofSeconds(30);

    /** How long a new key may answer 401 to {@code GET /key} while it propagates before that is reported. */
    public static final Duration PROPAGATION = Duration.ofSeconds(60);

    private KeyRules() {
    }

    /**
     * What the spec asks of the key named {@code keyName}; the limit less {@code carried}, what the
     * client's replaced keys already spent in this period (all keys together never get more). A limit
     * of zero means nothing is left ({@link Budget#nothingLeft}): it is never sent.
     */
    public static KeySettings desired(String keyName, MaiClientSpec spec, BigDecimal carried) {
        return new KeySettings(
                keyName,
                Money.limit(spec.getSpendingLimit()).map(l -> Money.cents(l.subtract(carried).max(BigDecimal.ZERO))).orElse(null),
                spec.getLimitReset(),
                Boolean.TRUE.equals(spec.getDisableKey()));
    }

    /** The PATCH that brings a key in line, and whether it stays disabled from outside. */
    public record Plan(KeyPatch patch, boolean disabledOutside) {
    }

    /**
     * The PATCH that brings {@code actual} in line with the spec, and whether it stays disabled from
     * outside. With nothing left in this period the key is disabled and its limit left as it is
     * (never set to 0); once budget returns, a key this operator disabled is enabled again with the
     * limit that is left. A key this operator disabled because it had spent its limit itself (an
     * adopted key that had spent more than the spec allows) stays disabled until its spend in the
     * period is below the limit again.
     */
    public static Plan plan(KeySettings want, KeyInfo actual, boolean disabledByOperator) {
        boolean broke = Budget.nothingLeft(want.limit());
        boolean spentOut = disabledByOperator && actual.disabled() && want.limit() != null && actual.usageInPeriod() != null
                && Money.cents(actual.usageInPeriod()).compareTo(want.limit()) >= 0;
        boolean off = want.disabled() || broke || spentOut;
        KeyPatch patch = difference(broke ? new KeySettings(want.name(), actual.limit(), want.limitReset(), off) : want, actual);
        boolean disabledOutside = false;
        if (off && !actual.disabled()) {
            patch.disabled(true);
        } else if (!off && actual.disabled()) {
            if (disabledByOperator) {
                patch.disabled(false);
            } else {
                disabledOutside = true;
            }
        }
        return new Plan(patch, disabledOutside);
    }

    /**
     * The part of {@code plan} (for {@code actual}) that only takes spending away: disabling the key,
     * a limit below the key's (also one for a key without a limit), and a reset that refills less often
     * (daily, weekly, monthly, never). Enabling, a higher limit or none, a rename and a shorter reset are
     * left out. What a paused client still gets: the brakes.
     */
    public static KeyPatch brakes(Plan plan, KeyInfo actual) {
        KeyPatch brakes = new KeyPatch();
        var fields = plan.patch().fields();
        if (Boolean.TRUE.equals(fields.get("disabled")) && !actual.disabled()) {
            brakes.disabled(true);
        }
        if (fields.get("limit") instanceof BigDecimal limit && !Budget.nothingLeft(limit)
                && (actual.limit() == null || Money.cents(limit).compareTo(Money.cents(actual.limit())) < 0)) {
            brakes.limit(limit);
        }
        if (fields.containsKey("limit_reset") && longer((String) fields.get("limit_reset"), actual.limitReset())) {
            brakes.limitReset((String) fields.get("limit_reset")); // the same limit over a longer period: less to spend
        }
        return brakes;
    }

    private static final java.util.List<String> PERIODS = java.util.List.of("daily", "weekly", "monthly");

    /** True when a limit resetting {@code wanted} refills less often than one resetting {@code actual} (none: never). */
    static boolean longer(String wanted, String actual) {
        int w = wanted == null ? PERIODS.size() : PERIODS.indexOf(wanted);
        int a = actual == null ? PERIODS.size() : PERIODS.indexOf(actual);
        return w >= 0 && a >= 0 && w > a;
    }

    /** The PATCH of name, limit (at cent precision) and reset that makes {@code actual} what {@code want} says; empty when it is. */
    public static KeyPatch difference(KeySettings want, KeyInfo actual) {
        KeyPatch patch = new KeyPatch();
        if (!want.name().equals(actual.name())) {
            patch.name(want.name());
        }
        if (!Money.sameCents(want.limit(), actual.limit())) {
            patch.limit(want.limit());
        }
        if (!java.util.Objects.equals(want.limitReset(), actual.limitReset())) {
            patch.limitReset(want.limitReset());
        }
        return patch;
    }

    /** What {@code GET /key} with the client's own key, and on a 401 {@code GET /keys/{hash}}, say of it. */
    public enum Verdict {
        /** The key authenticates. */
        VALID,
        /** OpenRouter no longer has the key. */
        REVOKED,
        /** The key exists and is disabled. */
        DISABLED,
        /** The key exists and is enabled but does not authenticate yet (a new key propagating). */
        NOT_YET
    }

    /**
     * Checks the client's key as the application will use it: {@code GET /key} with the key itself;
     * a 401 is followed by {@code GET /keys/{hash}} to tell a revoked key from a disabled one.
     */
    public static Verdict verify(OpenRouterKeys keys, ApiKey managementKey, ApiKey clientKey, String hash) {
        if (keys.authenticates(clientKey)) {
            return Verdict.VALID;
        }
        Optional<KeyInfo> key = keys.get(managementKey, hash);
        return key.isEmpty() ? Verdict.REVOKED : key.get().disabled() ? Verdict.DISABLED : Verdict.NOT_YET;
    }

    /**
     * The collection itself, for any owner: lists every key of the account, deletes those {@code ours}
     * accepts other than {@code keep} (telling {@code deleted} of each), and says whether one of them
     * was created since {@code startedAt}. A listing cut short throws (retryable) before anything is
     * deleted: "not found" is concluded only from a whole listing, or a second key would be created.
     */
    public static boolean collectUnfinishedCreate(OpenRouterKeys keys, ApiKey managementKey, Predicate<KeyInfo> ours,
            Instant startedAt, Set<String> keep, Consumer<KeyInfo> deleted) {
        boolean accounted = false;
        for (KeyInfo key : keys.list(managementKey)) {
            if (keep.contains(key.hash()) || !ours.test(key)) {
                continue;
            }
            keys.delete(managementKey, key.hash());
            Instant created = key.created();
            accounted |= created == null || !created.isBefore(startedAt.minus(CLOCK_SKEW));
            deleted.accept(key);
        }
        return accounted;
    }
}
