package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeySettings;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a paused client's key still gets ({@link KeyRules#brakes}): only the part of the plan that
 * takes spending away — disabling, a lower limit, a limit for an unlimited key — never enabling, a
 * higher limit or none, a rename or a new reset.
 */
class KeyBrakesTest {

    private static final String NAME = "Brake Co [mai:0123456789ab:uid]";

    private static KeyInfo key(String limit, boolean disabled, String usageInPeriod) {
        BigDecimal l = limit == null ? null : new BigDecimal(limit);
        BigDecimal used = new BigDecimal(usageInPeriod);
        return new KeyInfo("a".repeat(64), NAME, "sk-or-v1-abc...def", disabled, l, l == null ? null : l.subtract(used),
                "monthly", used, used, used, used, "2026-12-01T00:00:00Z");
    }

    private static KeySettings want(String name, String limit, String reset, boolean disabled) {
        return new KeySettings(name, limit == null ? null : Money.cents(new BigDecimal(limit)), reset, disabled);
    }

    /** The brakes for {@code want} on {@code actual}, as the plan a reconcile makes (the operator did not disable the key). */
    private static Map<String, Object> brakes(KeySettings want, KeyInfo actual, boolean disabledByOperator) {
        return KeyRules.brakes(KeyRules.plan(want, actual, disabledByOperator), actual).fields();
    }

    @Test
    void disableKeyDisablesAnEnabledKeyAndNothingElse() {
        assertThat(brakes(want("Renamed Co", "20", "weekly", true), key("10", false, "1"), false))
                .containsExactly(Map.entry("disabled", true));
        assertThat(brakes(want(NAME, "10", "monthly", true), key("10", true, "1"), false)).as("disabled already").isEmpty();
    }

    @Test
    void aLowerLimitIsAppliedAHigherOneOrNoneIsNot() {
        assertThat(brakes(want(NAME, "4", "monthly", false), key("10", false, "1"), false))
                .containsExactly(Map.entry("limit", new BigDecimal("4.00")));
        assertThat(brakes(want(NAME, "4", "monthly", false), key(null, false, "1"), false)).as("unlimited gets a limit")
                .containsExactly(Map.entry("limit", new BigDecimal("4.00")));
        assertThat(brakes(want(NAME, "20", "monthly", false), key("10", false, "1"), false)).as("higher").isEmpty();
        assertThat(brakes(want(NAME, null, "monthly", false), key("10", false, "1"), false)).as("no limit").isEmpty();
        assertThat(brakes(want(NAME, "10.001", "monthly", false), key("10", false, "1"), false)).as("the same cents").isEmpty();
    }

    @Test
    void theLimitIsWhatTheSpecLeavesAfterWhatReplacedKeysSpent() {
        // spec 10, replaced keys spent 7 in this period: the key may have 3
        MaiClientSpec spec = new MaiClientSpec();
        spec.setSpendingLimit(new IntOrString("10"));
        spec.setLimitReset("monthly");
        KeySettings want = KeyRules.desired(NAME, spec, new BigDecimal("7"));
        assertThat(brakes(want, key("10", false, "1"), false)).containsExactly(Map.entry("limit", new BigDecimal("3.00")));
        // all of it spent by replaced keys: disabled, never a limit of 0
        KeySettings none = want(NAME, "0", "monthly", false);
        assertThat(brakes(none, key("10", false, "1"), false)).containsExactly(Map.entry("disabled", true));
    }

    @Test
    void aKeyIsNeverEnabledRenamedOrGivenAShorterReset() {
        assertThat(brakes(want("Renamed Co", "10", "daily", false), key("10", true, "1"), true))
                .as("the plan enables a key the operator disabled, renames it and shortens its reset").isEmpty();
        assertThat(KeyRules.plan(want("Renamed Co", "10", "daily", false), key("10", true, "1"), true).patch().fields())
                .containsKeys("disabled", "name", "limit_reset");
    }

    /** The same limit refilled less often (or never) is less to spend: a brake; more often is not. */
    @Test
    void aLongerResetIsABrake() {
        java.util.HashMap<String, Object> never = new java.util.HashMap<>();
        never.put("limit_reset", null);
        assertThat(brakes(want(NAME, "10", null, false), key("10", false, "1"), false)).isEqualTo(never);
        assertThat(brakes(want(NAME, "10", "monthly", false), key("10", false, "1"), false)).as("the key's own").isEmpty();
        assertThat(KeyRules.longer("monthly", "weekly")).isTrue();
        assertThat(KeyRules.longer("weekly", "daily")).isTrue();
        assertThat(KeyRules.longer(null, "monthly")).isTrue();
        assertThat(KeyRules.longer("daily", "weekly")).isFalse();
        assertThat(KeyRules.longer("monthly", null)).isFalse();
        assertThat(KeyRules.longer("yearly", "daily")).as("unknown: not judged a brake").isFalse();
    }
}
