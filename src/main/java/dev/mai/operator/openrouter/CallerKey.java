package dev.mai.operator.openrouter;

import java.math.BigDecimal;

/**
 * What {@code GET /key} says of the key that calls it: its masked label, limit and spend, and
 * whether it is a management key. OpenRouter sends no hash, name or disabled flag here (a disabled
 * key answers 401). Money is exact decimal as OpenRouter sent it; null where it sent none.
 *
 * @param label masked key, {@code sk-or-v1-} + first 3 hex + {@code ...} + last 3 hex
 * @param limit USD cap; null when the key has none
 * @param limitRemaining what is left of the cap in this period; null without a cap
 * @param limitReset {@code daily}, {@code weekly}, {@code monthly} or null (never resets)
 * @param usage all-time spend
 * @param usageDaily spend in the current UTC day
 * @param usageWeekly spend in the current ISO week (UTC)
 * @param usageMonthly spend in the current calendar month (UTC)
 * @param management a management key ({@code is_management_key}, or its deprecated alias {@code is_provisioning_key})
 */
public record CallerKey(String label, BigDecimal limit, BigDecimal limitRemaining, String limitReset, BigDecimal usage,
        BigDecimal usageDaily, BigDecimal usageWeekly, BigDecimal usageMonthly, boolean management) {

    /** Spend in the window the limit applies to: the reset period, or all time without a reset. */
    public BigDecimal usageInPeriod() {
        return KeyInfo.usageInPeriod(limitReset, usage, usageDaily, usageWeekly, usageMonthly);
    }
}
