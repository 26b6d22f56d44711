package dev.mai.operator.core;

import io.fabric8.kubernetes.api.model.IntOrString;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Spending limits as exact decimals. OpenRouter's numbers travel as JSON doubles, so every
 * comparison with them happens at cent precision.
 */
public final class Money {

    /** The word that means "no limit". */
    public static final String UNLIMITED = "unlimited";

    /** A positive amount: digits, optionally a point and one or two decimals; no sign, exponent or space. */
    public static final Pattern AMOUNT = Pattern.compile("[0-9]{1,12}(\\.[0-9]{1,2})?");

    private Money() {
    }

    /**
     * The limit a valid {@code spendingLimit} asks for; empty for {@code unlimited}. Callers validate
     * first ({@link SpecValidator}); an invalid value here is a programming error.
     */
    public static Optional<BigDecimal> limit(IntOrString spendingLimit) {
        String text = text(spendingLimit);
        if (UNLIMITED.equals(text)) {
            return Optional.empty();
        }
        if (text == null || !AMOUNT.matcher(text).matches()) {
            throw new IllegalArgumentException("not a spending limit");
        }
        return Optional.of(cents(new BigDecimal(text)));
    }

    /** The spending limit as written, whether it came as a YAML integer or a string. */
    public static String text(IntOrString value) {
        if (value == null) {
            return null;
        }
        if (value.getIntVal() != null) {
            return value.getIntVal().toString();
        }
        return value.getStrVal();
    }

    /** Rounded to cents, the precision every comparison uses. */
    public static BigDecimal cents(BigDecimal amount) {
        return amount == null ? null : amount.setScale(2, RoundingMode.HALF_EVEN);
    }

    /** Equal at cent precision; two nulls (no limit) are equal. */
    public static boolean sameCents(BigDecimal a, BigDecimal b) {
        if (a == null || b == null) {
            return a == b;
        }
        return cents(a).compareTo(cents(b)) == 0;
    }

    /** The value of SPENDING_LIMIT: {@code unlimited} or the amount with two decimals. */
    public static String format(Optional<BigDecimal> limit) {
        return limit.map(l -> cents(l).toPlainString()).orElse(UNLIMITED);
    }
}
