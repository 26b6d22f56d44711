package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.KeyRules;
import dev.mai.operator.core.Names;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.testing.Clients;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * What the operator asks of an existing key when the period's budget is used up: the key is
 * disabled, never given a limit of 0, and enabled again (with what is left) only when this
 * operator disabled it.
 */
class KeyLifecyclePlanTest {

    private static final String INSTALLATION = "0123456789ab";

    private final KeyLifecycle lifecycle = new KeyLifecycle(null, new InstallationId(null, null) {
        @Override
        public String get() {
            return INSTALLATION;
        }
    }, null);

    private static MaiClient client(String limit) {
        MaiClient mc = Clients.with(Clients.maiClient("ns", "abc", "Plan Co", limit), s -> s.setLimitReset("monthly"));
        mc.getMetadata().setUid("6f1c1d52-1c55-4a4b-9d0e-3c1f0b1f5a10");
        return mc;
    }

    private KeyInfo key(MaiClient mc, String limit, boolean disabled) {
        BigDecimal l = new BigDecimal(limit);
        return new KeyInfo("a".repeat(64), Names.keyName(mc, INSTALLATION, false), "sk-or-v1-abc...def", disabled, l, l,
                "monthly", BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, "2026-12-01T00:00:00Z");
    }

    @Test
    void aKeyWithNothingLeftIsDisabledAndKeepsItsLimit() {
        MaiClient mc = client("100");
        for (String committed : new String[] {"100", "100.00", "130", "99.996"}) {
            KeyRules.Plan plan = lifecycle.plan(mc, key(mc, "40", false), false, new BigDecimal(committed));
            assertThat(plan.patch().fields()).as(committed).containsEntry("disabled", true).doesNotContainKey("limit");
            assertThat(plan.disabledOutside()).isFalse();
            assertThat(lifecycle.nothingLeft(mc, new BigDecimal(committed))).isTrue();
        }
    }

    @Test
    void whenTheBudgetReturnsAKeyTheOperatorDisabledIsEnabledWithWhatIsLeft() {
        MaiClient mc = client("100");
        KeyRules.Plan plan = lifecycle.plan(mc, key(mc, "10", true), true, new BigDecimal("60"));
        assertThat(plan.patch().fields()).containsEntry("disabled", false).containsEntry("limit", new BigDecimal("40.00"));
        plan = lifecycle.plan(mc, key(mc, "40", true), true, BigDecimal.ZERO);
        assertThat(plan.patch().fields()).containsEntry("disabled", false).containsEntry("limit", new BigDecimal("100.00"));
    }

    @Test
    void aKeyDisabledByAnyoneElseStaysDisabledWhenTheBudgetReturns() {
        MaiClient mc = client("100");
        KeyRules.Plan plan = lifecycle.plan(mc, key(mc, "100", true), false, BigDecimal.ZERO);
        assertThat(plan.patch().fields()).doesNotContainKey("disabled");
        assertThat(plan.disabledOutside()).isTrue();
    }

    @Test
    void noKeyIsCreatedWithNothingToSpend() {
        MaiClient mc = client("100");
        assertThat(lifecycle.desired(mc, new BigDecimal("100")).limit()).isEqualByComparingTo("0");
        assertThatThrownBy(() -> lifecycle.create(mc, null, new BigDecimal("100"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> lifecycle.limitTo(mc, null, null, BigDecimal.ZERO, "test"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
