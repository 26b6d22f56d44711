package dev.mai.operator.openrouter;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * OpenRouter's view of one key, as returned by list, get, create and update. Money is exact
 * decimal; {@code limit} null means unlimited. Never holds the plaintext key.
 *
 * @param usage all-time spend
 * @param usageDaily spend in the current UTC day
 * @param usageWeekly spend in the current ISO week (Monday to Sunday, UTC)
 * @param usageMonthly spend in the current calendar month (UTC)
 */
public record KeyInfo(
        String hash,
        String name,
        String label,
        boolean disabled,
        BigDecimal limit,
        BigDecimal limitRemaining,
        String limitReset,
        BigDecimal usage,
        BigDecimal usageDaily,
        BigDecimal usageWeekly,
        BigDecimal usageMonthly,
        String createdAt) {

    private static final java.util.regex.Pattern HASH = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    /**
     * True when {@code value} has the form of an OpenRouter key hash, 64 lowercase hex characters.
     * Hashes read from Secrets, status or a {@code .env} are claims anyone may have edited: only a
     * value of this form may go into a request's URL ({@code ../keys} or a query would not).
     */
    public static boolean isHash(String value) {
        return value != null && HASH.matcher(value).matches();
    }

    /**
     * False only when OpenRouter's masked label of this key ({@code sk-or-v1-abc...xyz}) plainly shows
     * that {@code key} is another key; a label in another form tells nothing, so true.
     */
    public boolean labelAllows(ApiKey key) {
        int dots = label == null ? -1 : label.indexOf("...");
        if (dots < 0 || label.indexOf("...", dots + 1) >= 0) {
            return true;
        }
        String start = label.substring(0, dots);
        String end = label.substring(dots + 3);
        String value = key.reveal();
        return start.isEmpty() || end.isEmpty() || value.startsWith(start) && value.endsWith(end);
    }

    /** Spend in the window the limit applies to: the reset period, or all time without a reset. */
    public BigDecimal usageInPeriod() {
        return usageInPeriod(limitReset, usage, usageDaily, usageWeekly, usageMonthly);
    }

    /**
     * Spend in the window a limit with reset {@code limitReset} applies to: the day, week or month,
     * or all time without a reset (also when OpenRouter sent no figure for that window).
     */
    public static BigDecimal usageInPeriod(String limitReset, BigDecimal usage, BigDecimal daily, BigDecimal weekly,
            BigDecimal monthly) {
        BigDecimal window = limitReset == null ? usage : switch (limitReset) {
            case "daily" -> daily;
            case "weekly" -> weekly;
            case "monthly" -> monthly;
            default -> usage;
        };
        return window == null ? usage : window;
    }

    /** When OpenRouter created the key; null when it did not say or said it in a form not understood. */
    public Instant created() {
        try {
            return createdAt == null ? null : OffsetDateTime.parse(createdAt).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** True when the key has a limit and nothing of it is left in this period. */
    public boolean limitExhausted() {
        return limit != null && limitRemaining != null && limitRemaining.signum() <= 0;
    }
}
