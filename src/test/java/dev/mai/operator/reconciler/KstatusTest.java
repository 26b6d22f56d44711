package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reconciling and Stalled over the condition sets a MaiClient can have, as kstatus (Flux, Helm's
 * --wait, kpt) reads them: Reconciling=True is InProgress, Stalled=True is Failed, neither is Current.
 */
class KstatusTest {

    private static final Instant T1 = Instant.parse("2026-12-05T10:00:00Z");
    private static final Instant T2 = Instant.parse("2026-12-05T11:00:00Z");

    @ParameterizedTest(name = "Ready={0}/{1}, Rotating={2}, Paused={3} -> Reconciling={4}, Stalled={5}")
    @CsvSource({
        // Ready, reason,               Rotating,            Paused, Reconciling, Stalled
        "True,    Provisioned,           Idle,                ,       False, False",
        "True,    Provisioned,           RotationInProgress,  ,       False, False",
        "True,    Provisioned,           RolloutStuck,        ,       False, True",
        "Unknown, Pending,               ,                    ,       True,  False",
        "Unknown, KeyNotAcceptedYet,     ,                    ,       True,  False",
        "False,   AppProgressing,        ,                    ,       True,  False",
        "False,   OpenRouterUnavailable, ,                    ,       True,  False",
        "False,   RateLimited,           ,                    ,       True,  False",
        "False,   KeyNotAcceptedYet,     ,                    ,       True,  False",
        "False,   KeyDisabled,           ,                    ,       False, False",
        "False,   InvalidSpec,           ,                    ,       False, True",
        "False,   ProvisioningKeyMissing,,                    ,       False, True",
        "False,   ProvisioningKeyRejected,,                   ,       False, True",
        "False,   ProvisioningKeyChanged,,                    ,       False, True",
        "False,   KeyOwnedElsewhere,     ,                    ,       False, True",
        "False,   InsufficientCredits,   ,                    ,       False, True",
        "False,   OpenRouterRejected,    ,                    ,       False, True",
        "False,   SecretConflict,        ,                    ,       False, True",
        "False,   SecretWriteFailed,     ,                    ,       False, True",
        "False,   AppRejected,           ,                    ,       False, True",
        "False,   KeyDisabledOutside,    ,                    ,       False, True",
        "False,   KeyRevoked,            ,                    ,       True,  False",
        "False,   LimitExhausted,        ,                    ,       False, True",
        "False,   RolloutStuck,          ,                    ,       False, True",
        "False,   AdoptionRefused,       ,                    ,       False, True",
        "False,   InvalidSpec,           ,                    Paused, False, False",
        "Unknown, Pending,               ,                    Paused, False, False",
    })
    void reconcilingAndStalledFollowReadyRotatingAndPaused(String ready, String reason, String rotating, String paused,
            String reconciling, String stalled) {
        MaiClientStatus s = new MaiClientStatus();
        Conditions.set(s, Conditions.READY, ready, reason, "why: " + reason, 3L, T1);
        if (rotating != null) {
            Conditions.set(s, Conditions.ROTATING, "Idle".equals(rotating) ? "False" : "True", rotating, "rotation", 3L, T1);
        }
        if (paused != null) {
            Conditions.set(s, Conditions.PAUSED, "True", paused, "mai.dev/paused is \"true\"", 3L, T1);
        }
        Conditions.deriveKstatus(s, 3L, T1);
        var r = Conditions.find(s, Conditions.RECONCILING).orElseThrow();
        var st = Conditions.find(s, Conditions.STALLED).orElseThrow();
        assertThat(r.getStatus()).isEqualTo(reconciling);
        assertThat(st.getStatus()).isEqualTo(stalled);
        String cause = paused != null ? paused : "RolloutStuck".equals(rotating) ? "RolloutStuck" : reason;
        assertThat(r.getReason()).isEqualTo(cause);
        assertThat(st.getReason()).isEqualTo(cause);
        assertThat(r.getObservedGeneration()).isEqualTo(3L);
    }

    @Test
    void noReadyYetIsReconciling() {
        MaiClientStatus s = new MaiClientStatus();
        Conditions.deriveKstatus(s, 1L, T1);
        assertThat(Conditions.find(s, Conditions.RECONCILING).orElseThrow().getStatus()).isEqualTo("True");
        assertThat(Conditions.find(s, Conditions.STALLED).orElseThrow().getStatus()).isEqualTo("False");
    }

    @Test
    void anUnchangedStatusDerivesAnEqualStatus() {
        MaiClientStatus s = new MaiClientStatus();
        Conditions.set(s, Conditions.READY, "True", "Provisioned", "ok", 1L, T1);
        Conditions.deriveKstatus(s, 1L, T1);
        MaiClientStatus again = new MaiClientStatus(s);
        Conditions.deriveKstatus(again, 1L, T2);
        assertThat(again).isEqualTo(s); // no write in steady state
    }

    @Test
    void everyReasonIsClassified() throws IllegalAccessException {
        // a new reason must be placed on purpose: terminal (Stalled) or one that heals by itself (Reconciling)
        java.util.Set<String> healing = java.util.Set.of("Provisioned", "Adopted", "Pending", "Synced", "Valid", "OpenRouterUnavailable",
                "RateLimited", "KeyDisabled", "KeyNotAcceptedYet", "Available", "AppProgressing", "RotationInProgress", "Idle",
                "SecretTampered", "KeyRevoked", "Restricted", "BaselineRequested", "ThresholdCrossed", "WithinBudget", "NoLimit", "Paused");
        for (var field : Conditions.Reason.class.getFields()) {
            String reason = (String) field.get(null);
            assertThat(Conditions.TERMINAL.contains(reason) || healing.contains(reason)).as(reason).isTrue();
            assertThat(Conditions.TERMINAL.contains(reason) && healing.contains(reason)).as(reason).isFalse();
        }
    }
}
