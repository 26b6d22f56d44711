package dev.mai.operator.openrouter;

import java.math.BigDecimal;

/**
 * The settings of a key the operator controls: name, USD limit (null: unlimited), limit reset
 * (null: never) and whether it is disabled.
 */
public record KeySettings(String name, BigDecimal limit, String limitReset, boolean disabled) {
}
