package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import java.math.BigDecimal;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MoneyTest {

    @Test
    void limitsAreExactDecimalsAtCents() {
        assertThat(Money.limit(new IntOrString("1000.0"))).contains(new BigDecimal("1000.00"));
        assertThat(Money.limit(new IntOrString(1000))).contains(new BigDecimal("1000.00"));
        assertThat(Money.limit(new IntOrString("0.1"))).contains(new BigDecimal("0.10"));
        assertThat(Money.limit(new IntOrString("unlimited"))).isEmpty();
    }

    @Test
    void comparesOpenRoutersDoublesAtCentPrecision() {
        assertThat(Money.sameCents(new BigDecimal("0.30"), new BigDecimal(String.valueOf(0.1 + 0.2)))).isTrue();
        assertThat(Money.sameCents(new BigDecimal("12.50"), new BigDecimal("12.5"))).isTrue();
        assertThat(Money.sameCents(new BigDecimal("12.50"), new BigDecimal("12.51"))).isFalse();
        assertThat(Money.sameCents(null, null)).isTrue();
        assertThat(Money.sameCents(null, BigDecimal.ONE)).isFalse();
    }

    @Test
    void formatsForTheEnvironment() {
        assertThat(Money.format(Optional.of(new BigDecimal("1000")))).isEqualTo("1000.00");
        assertThat(Money.format(Optional.empty())).isEqualTo("unlimited");
    }
}
