package dev.mai.operator.openrouter;

import java.math.BigDecimal;

/**
 * OpenRouter's view of one key, as returned by list, get, create and update. Money is exact
 * decimal; {@code limit} null means unlimited. Never holds the plaintext key.
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
        String createdAt) {
}
