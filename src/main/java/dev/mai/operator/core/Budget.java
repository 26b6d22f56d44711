package dev.mai.operator.core;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.openrouter.KeyInfo;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.Objects;
import java.util.Optional;

/**
 * The budget fields of the status: {@code usage}, {@code usageInPeriod},
 * {@code limitRemaining} as cent-rounded decimal strings and {@code nextLimitResetAt}. The money
 * figures move only on a significant change — by at least $1 or 1% of the limit, whichever is
 * smaller, or across a threshold of the limit (50%, 80%, 90%, 100%) — so that spending does not turn
 * every sweep into a write per client; the exact figures are metrics.
 */
public final class Budget {

    public static final BigDecimal ONE_DOLLAR = BigDecimal.ONE;
    private static final BigDecimal ONE_PERCENT = new BigDecimal("0.01");
    private static final BigDecimal[] THRESHOLDS = {new BigDecimal("0.5"), new BigDecimal("0.8"), new BigDecimal("0.9"), BigDecimal.ONE};

    /**
     * How far past a period boundary both clocks must be before the carried spend is dropped: a Date
     * is whole seconds and a few seconds old, and OpenRouter's own reset need not fall on the very
     * second either.
     */
    public static final Duration RESET_MARGIN = Duration.ofMinutes(5);

    private Budget() {
    }

    /**
     * The two clocks a limit reset is judged on: the operator's and OpenRouter's (the {@code Date}
     * of its answers). The full limit returns only when the boundary has passed on both, plus
     * {@link #RESET_MARGIN}: a clock jumped forward — either one — cannot raise a limit early, and
     * while OpenRouter's clock is unknown nothing is raised.
     */
    public record Clocks(Instant operator, Optional<Instant> openRouter) {

        /** Both clocks showing {@code now} (tests, and front ends with one clock). */
        public static Clocks agreeing(Instant now) {
            return new Clocks(now, Optional.of(now));
        }

        /** True once {@code boundary} plus the margin has passed on both clocks. */
        boolean passed(Instant boundary) {
            Instant due = boundary.plus(RESET_MARGIN);
            return !operator.isBefore(due) && openRouter.map(t -> !t.isBefore(due)).orElse(false);
        }

        /** The later of the two: a period that has begun on either clock ends no earlier than its end there. */
        Instant later() {
            return openRouter.filter(operator::isBefore).orElse(operator);
        }

        /** How long, on the slower clock, until {@link #passed} can be true (zero when it is). */
        public Duration untilPassed(Instant boundary) {
            Instant due = boundary.plus(RESET_MARGIN);
            Instant slower = openRouter.filter(operator::isAfter).orElse(operator);
            Duration wait = Duration.between(slower, due);
            return wait.isNegative() ? Duration.ZERO : wait;
        }
    }

    /**
     * What this client's replaced keys spent in the current limit period: the carried figure until
     * the period it belongs to has ended on both clocks, then zero (without a reset the period is the
     * key's lifetime).
     */
    public static BigDecimal carriedInPeriod(MaiClientStatus status, Clocks clocks) {
        if (status.getCarriedUsageInPeriod() == null) {
            return BigDecimal.ZERO;
        }
        if (status.getCarriedUntil() != null && readableInstant(status.getCarriedUntil()).map(clocks::passed).orElse(false)) {
            return BigDecimal.ZERO; // an unreadable end keeps the spend carried: status must not hand out budget
        }
        return amount(status.getCarriedUsageInPeriod());
    }

    /**
     * An amount status records, never below zero: status is not the spec, and whoever could write a
     * negative figure there must not raise a key's limit above what the spec allows.
     */
    private static BigDecimal amount(String value) {
        try {
            return new BigDecimal(value).max(BigDecimal.ZERO);
        } catch (NumberFormatException e) {
            return UNREADABLE; // fails closed: a figure nobody can read counts as the whole budget spent
        }
    }

    /** What an unreadable amount in status counts as: more than any limit, so nothing is left to hand out. */
    public static final BigDecimal UNREADABLE = BigDecimal.valueOf(Long.MAX_VALUE);

    private static java.util.Optional<Instant> readableInstant(String value) {
        try {
            return java.util.Optional.of(Instant.parse(value));
        } catch (java.time.format.DateTimeParseException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * What old keys still overlapping the current one may spend in a period (their limits): left out
     * of the current key's limit until they are revoked. It does not expire at a reset, since an old
     * key's limit returns with the period too.
     */
    public static BigDecimal reservedInPeriod(MaiClientStatus status) {
        return pending(status).stream().map(PendingRevocation::getReservedInPeriod).filter(Objects::nonNull)
                .map(Budget::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /**
     * The part of the spec's limit the current key may not have: what replaced keys spent in this
     * period plus what overlapping old keys may still spend.
     */
    public static BigDecimal committedInPeriod(MaiClientStatus status, Clocks clocks) {
        return carriedInPeriod(status, clocks).add(reservedInPeriod(status));
    }

    /**
     * The limit the current key may have: the spec's, minus what replaced keys already spent and
     * overlapping old keys may spend in this period (never below zero), so that all of a client's
     * keys together never get more than the spec allows. Null when the spec sets no limit; zero
     * means nothing is left, which is never sent as a limit (see {@link #nothingLeft}).
     */
    public static BigDecimal effectiveLimit(BigDecimal specLimit, MaiClientStatus status, Clocks clocks) {
        if (specLimit == null) {
            return null;
        }
        return Money.cents(specLimit.subtract(committedInPeriod(status, clocks)).max(BigDecimal.ZERO));
    }

    /**
     * True when {@code limit} leaves nothing to spend at cent precision. Such a key is disabled (an
     * existing one) or not created (a new one): OpenRouter is never sent a limit of 0.
     */
    public static boolean nothingLeft(BigDecimal limit) {
        return limit != null && Money.cents(limit).signum() <= 0;
    }

    /**
     * An old key's share during a rotation's overlap: half of what the client can still spend in
     * this period (cents, rounded down); nothing for a disabled key. The new key gets the rest.
     */
    public static BigDecimal overlapShare(BigDecimal specLimit, MaiClientStatus status, KeyInfo old, Clocks clocks) {
        if (old.disabled()) {
            return BigDecimal.ZERO;
        }
        BigDecimal left = leftForOverlap(specLimit, status, old, clocks);
        return left.divide(BigDecimal.valueOf(2), 2, RoundingMode.DOWN);
    }

    /** What the client can still spend in this period besides what {@code old} already spent (never below zero). */
    public static BigDecimal leftForOverlap(BigDecimal specLimit, MaiClientStatus status, KeyInfo old, Clocks clocks) {
        return specLimit.subtract(committedInPeriod(status, clocks)).subtract(old.usageInPeriod()).max(BigDecimal.ZERO);
    }

    /** Adds an old key's lifetime usage to {@code carriedUsage} when its rotation starts (status.usage counts all keys). */
    public static void carryLifetime(MaiClientStatus status, BigDecimal usage) {
        BigDecimal lifetime = status.getCarriedUsage() == null ? BigDecimal.ZERO : new BigDecimal(status.getCarriedUsage());
        status.setCarriedUsage(Money.cents(lifetime.add(usage.max(BigDecimal.ZERO))).toPlainString());
    }

    /** What overlapping old keys had spent in the period when their rotation started (shown in usageInPeriod meanwhile). */
    private static BigDecimal overlappingInPeriod(MaiClientStatus status) {
        return pending(status).stream().filter(p -> p.getReservedInPeriod() != null && p.getUsageInPeriod() != null)
                .map(p -> new BigDecimal(p.getUsageInPeriod())).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    private static java.util.List<PendingRevocation> pending(MaiClientStatus status) {
        return status.getPendingRevocations() == null ? java.util.List.of() : status.getPendingRevocations();
    }

    /**
     * Carries the figures of a key that is being replaced: its lifetime usage into
     * {@code carriedUsage}, its usage in this period into {@code carriedUsageInPeriod} (until the
     * period's end, {@code carriedUntil}, counted from the later clock: with the clocks on two sides
     * of a boundary the spend is kept the longer period, never dropped early).
     */
    public static void retire(MaiClientStatus status, BigDecimal usage, BigDecimal usageInPeriod, String limitReset, Clocks clocks) {
        BigDecimal lifetime = status.getCarriedUsage() == null ? BigDecimal.ZERO : new BigDecimal(status.getCarriedUsage());
        status.setCarriedUsage(Money.cents(lifetime.add(usage.max(BigDecimal.ZERO))).toPlainString());
        status.setCarriedUsageInPeriod(Money.cents(carriedInPeriod(status, clocks).add(usageInPeriod.max(BigDecimal.ZERO)))
                .toPlainString());
        status.setCarriedUntil(nextReset(limitReset, clocks.later()));
    }

    /** Sets the budget fields of {@code status} from {@code key} where the change is significant. */
    public static void apply(MaiClientStatus status, KeyInfo key, Clocks clocks) {
        Instant now = clocks.operator();
        BigDecimal carried = status.getCarriedUsage() == null ? BigDecimal.ZERO : new BigDecimal(status.getCarriedUsage());
        if (status.getCarriedUsageInPeriod() != null && carriedInPeriod(status, clocks).signum() == 0) {
            // the period the replaced keys' spend belonged to is over
            status.setCarriedUsageInPeriod(null);
            status.setCarriedUntil(null);
        }
        String usage = Money.cents(carried.add(key.usage())).toPlainString();
        String inPeriod = Money.cents(spentInPeriod(status, key, clocks)).toPlainString();
        String remaining = key.limit() == null || key.limitRemaining() == null ? null
                : Money.cents(key.limitRemaining().max(BigDecimal.ZERO)).toPlainString();
        // the whole period's limit: what the key may spend plus what replaced keys spent
        BigDecimal limit = key.limit() == null ? null : key.limit().add(committedInPeriod(status, clocks));
        if (significant(status.getUsage(), usage, limit)
                || significant(status.getUsageInPeriod(), inPeriod, limit)
                || significant(status.getLimitRemaining(), remaining, limit)
                || band(status.getUsageInPeriod(), limit) != band(inPeriod, limit)) {
            status.setUsage(usage);
            status.setUsageInPeriod(inPeriod);
            status.setLimitRemaining(remaining);
        }
        status.setNextLimitResetAt(nextReset(key.limitReset(), now));
    }

    /**
     * The period's exact spend of all the client's keys: what replaced keys spent, what overlapping old
     * keys had spent when their rotation started, and what {@code key} spent in this period.
     */
    public static BigDecimal spentInPeriod(MaiClientStatus status, KeyInfo key, Clocks clocks) {
        return carriedInPeriod(status, clocks).add(overlappingInPeriod(status)).add(key.usageInPeriod());
    }

    /** A change worth a write: a figure appearing or disappearing, or moving by the step. */
    public static boolean significant(String before, String after, BigDecimal limit) {
        if (before == null || after == null) {
            return !Objects.equals(before, after);
        }
        BigDecimal step = limit == null || limit.signum() <= 0 ? ONE_DOLLAR
                : ONE_DOLLAR.min(limit.multiply(ONE_PERCENT).setScale(2, RoundingMode.HALF_UP).max(new BigDecimal("0.01")));
        return new BigDecimal(before).subtract(new BigDecimal(after)).abs().compareTo(step) >= 0;
    }

    /** How many thresholds of the limit a period usage has reached (0 without a limit). */
    public static int band(String inPeriod, BigDecimal limit) {
        if (inPeriod == null || limit == null || limit.signum() <= 0) {
            return 0;
        }
        BigDecimal used = new BigDecimal(inPeriod);
        int band = 0;
        for (BigDecimal t : THRESHOLDS) {
            if (used.compareTo(limit.multiply(t)) >= 0) {
                band++;
            }
        }
        return band;
    }

    /** The next 00:00 UTC boundary of the reset period after {@code now}; null without a reset. */
    public static String nextReset(String limitReset, Instant now) {
        if (limitReset == null) {
            return null;
        }
        LocalDate today = now.atZone(ZoneOffset.UTC).toLocalDate();
        LocalDate next = switch (limitReset) {
            case "daily" -> today.plusDays(1);
            case "weekly" -> today.with(TemporalAdjusters.next(DayOfWeek.MONDAY));
            case "monthly" -> today.with(TemporalAdjusters.firstDayOfNextMonth());
            default -> null;
        };
        return next == null ? null : next.atStartOfDay(ZoneOffset.UTC).toInstant().toString();
    }
}
