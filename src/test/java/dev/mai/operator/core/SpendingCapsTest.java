package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import java.math.BigDecimal;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpendingCapsTest {

    private static final SpendingCaps NONE = new SpendingCaps(Optional.empty());
    private static final SpendingCaps OPERATOR_500 = new SpendingCaps(Optional.of(new BigDecimal("500")));

    private static Optional<SpendingCaps.Breach> breach(SpendingCaps caps, String limit, String label) {
        return caps.breach(new IntOrString(limit), "tenant-a", Optional.ofNullable(label));
    }

    @Test
    void withoutCapsEverythingValidPasses() {
        assertThat(breach(NONE, "unlimited", null)).isEmpty();
        assertThat(breach(NONE, "1000000", null)).isEmpty();
    }

    @Test
    void theNamespaceCapRefusesMoreAndUnlimitedAndNamesTheLabel() {
        assertThat(breach(NONE, "100", "100")).isEmpty();
        assertThat(breach(NONE, "100.00", "100")).isEmpty();
        assertThat(breach(NONE, "99.99", "100")).isEmpty();
        SpendingCaps.Breach over = breach(NONE, "100.01", "100").orElseThrow();
        assertThat(over.violation().toString()).isEqualTo("spec.spendingLimit: must be at most 100.00 USD, the cap of namespace "
                + "tenant-a (label mai.dev/max-spending-limit on Namespace tenant-a)");
        assertThat(over.clampTo()).contains(new BigDecimal("100.00"));
        SpendingCaps.Breach unlimited = breach(NONE, "unlimited", "250.50").orElseThrow();
        assertThat(unlimited.rule()).startsWith("may not be unlimited: at most 250.50 USD, the cap of namespace tenant-a");
        assertThat(unlimited.clampTo()).contains(new BigDecimal("250.50"));
    }

    @Test
    void theLowerOfTheOperatorsAndTheNamespacesCapHolds() {
        assertThat(breach(OPERATOR_500, "400", "1000")).isEmpty();
        assertThat(breach(OPERATOR_500, "600", "1000").orElseThrow().rule()).contains("500.00 USD, MAI_MAX_SPENDING_LIMIT");
        assertThat(breach(OPERATOR_500, "600", "50").orElseThrow().rule()).contains("50.00 USD, the cap of namespace tenant-a");
        assertThat(breach(OPERATOR_500, "unlimited", null).orElseThrow().clampTo()).contains(new BigDecimal("500.00"));
    }

    @Test
    void aCapLabelThatIsNoAmountFailsClosedAndClampsNothing() {
        for (String label : new String[] {"abc", "0", "0.00", "-5", "1e3", "10.001", ""}) {
            SpendingCaps.Breach b = breach(NONE, "1", label).orElseThrow();
            assertThat(b.clampTo()).as(label).isEmpty();
            assertThat(b.rule()).as(label).contains("cannot be checked").contains("'" + label + "'").contains("mai.dev/max-spending-limit");
        }
    }
}
