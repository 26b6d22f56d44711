package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.openrouter.KeyInfo;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.Objects;

/**
 * The budget fields of the status (SPEC 2.2): {@code usage}, {@code usageInPeriod},
 * {@code limitRemaining} as cent-rounded decimal strings and {@code nextLimitResetAt}. The money
 * figures move only on a significant change — by at least $1 or 1% of the limit, whichever is
 * smaller, or across a threshold of the limit (50%, 80%, 90%, 100%) — so that spending does not turn
 * every sweep into a write per client; the exact figures are metrics.
 */
final class Budget {

    static final BigDecimal ONE_DOLLAR = BigDecimal.ONE;
    private static final BigDecimal ONE_PERCENT = new BigDecimal("0.01");
    private static final BigDecimal[] THRESHOLDS = {new BigDecimal("0.5"), new BigDecimal("0.8"), new BigDecimal("0.9"), BigDecimal.ONE};

    private Budget() {
    }

    /** Sets the budget fields of {@code status} from {@code key} where the change is significant. */
    static void apply(MaiClientStatus status, KeyInfo key, Instant now) {
        String usage = Money.cents(key.usage()).toPlainString();
        String inPeriod = Money.cents(key.usageInPeriod()).toPlainString();
        String remaining = key.limit() == null || key.limitRemaining() == null ? null
                : Money.cents(key.limitRemaining().max(BigDecimal.ZERO)).toPlainString();
        if (significant(status.getUsage(), usage, key.limit())
                || significant(status.getUsageInPeriod(), inPeriod, key.limit())
                || significant(status.getLimitRemaining(), remaining, key.limit())
                || band(status.getUsageInPeriod(), key.limit()) != band(inPeriod, key.limit())) {
            status.setUsage(usage);
            status.setUsageInPeriod(inPeriod);
            status.setLimitRemaining(remaining);
        }
        status.setNextLimitResetAt(nextReset(key.limitReset(), now));
    }

    /** A change worth a write: a figure appearing or disappearing, or moving by the step. */
    static boolean significant(String before, String after, BigDecimal limit) {
        if (before == null || after == null) {
            return !Objects.equals(before, after);
        }
        BigDecimal step = limit == null || limit.signum() <= 0 ? ONE_DOLLAR
                : ONE_DOLLAR.min(limit.multiply(ONE_PERCENT).setScale(2, RoundingMode.HALF_UP).max(new BigDecimal("0.01")));
        return new BigDecimal(before).subtract(new BigDecimal(after)).abs().compareTo(step) >= 0;
    }

    /** How many thresholds of the limit a period usage has reached (0 without a limit). */
    static int band(String inPeriod, BigDecimal limit) {
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
    static String nextReset(String limitReset, Instant now) {
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
