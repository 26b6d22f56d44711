package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConditionsTest {

    private static final Instant T1 = Instant.parse("2026-11-26T10:00:00Z");
    private static final Instant T2 = Instant.parse("2026-11-26T11:00:00Z");

    @Test
    void unchangedConditionKeepsItsTransitionTimeAndStatusStaysEqual() {
        MaiClientStatus a = new MaiClientStatus();
        Conditions.set(a, Conditions.KEY_PROVISIONED, "True", "Provisioned", "ok", 1L, T1);
        MaiClientStatus b = new MaiClientStatus(a);
        Conditions.set(b, Conditions.KEY_PROVISIONED, "True", "Provisioned", "ok", 1L, T2);
        assertThat(b).isEqualTo(a);
        assertThat(Conditions.find(b, Conditions.KEY_PROVISIONED).orElseThrow().getLastTransitionTime()).isEqualTo("2026-11-26T10:00:00Z");
    }

    @Test
    void changedReasonMovesTheTransitionTime() {
        MaiClientStatus s = new MaiClientStatus();
        Conditions.set(s, Conditions.KEY_VALID, "True", "Valid", "ok", 1L, T1);
        Conditions.set(s, Conditions.KEY_VALID, "False", "KeyDisabled", "off", 2L, T2);
        var c = Conditions.find(s, Conditions.KEY_VALID).orElseThrow();
        assertThat(c.getLastTransitionTime()).isEqualTo("2026-11-26T11:00:00Z");
        assertThat(c.getObservedGeneration()).isEqualTo(2L);
        assertThat(s.getConditions()).hasSize(1);
    }

    @Test
    void readyIsTheConjunctionWithTheFirstFailingReason() {
        MaiClientStatus s = new MaiClientStatus();
        Conditions.initialise(s, 1L, T1);
        Conditions.deriveReady(s, 1L, T1);
        assertThat(Conditions.find(s, Conditions.READY).orElseThrow().getStatus()).isEqualTo("Unknown");

        Conditions.set(s, Conditions.KEY_PROVISIONED, "True", "Provisioned", "ok", 1L, T1);
        Conditions.set(s, Conditions.SECRET_SYNCED, "True", "Synced", "ok", 1L, T1);
        Conditions.set(s, Conditions.KEY_VALID, "False", "KeyDisabled", "off", 1L, T1);
        Conditions.deriveReady(s, 1L, T1);
        var ready = Conditions.find(s, Conditions.READY).orElseThrow();
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("KeyDisabled");

        Conditions.set(s, Conditions.KEY_VALID, "True", "Valid", "ok", 1L, T1);
        Conditions.deriveReady(s, 1L, T1);
        assertThat(Conditions.isTrueFor(s, Conditions.READY, 1L)).isTrue();
        assertThat(Conditions.isTrueFor(s, Conditions.READY, 2L)).isFalse();
    }
}
