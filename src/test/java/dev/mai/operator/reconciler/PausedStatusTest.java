package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The conditions of a paused client ({@link StatusBuilder#paused}) and of its resume ({@link StatusBuilder#resumed}). */
class PausedStatusTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");

    /** A client whose key was brought in line with generation 3: every part of Ready True. */
    private static MaiClientStatus ready() {
        MaiClientStatus status = new MaiClientStatus();
        StatusBuilder built = new StatusBuilder(status, 3L, NOW.minusSeconds(600)).provisioned("abc-env", List.of(), false, true, status);
        built.rotating(List.of(), new Rollout(0, List.of(), List.of(), false, false), false);
        Conditions.set(status, Conditions.KEY_VALID, Conditions.TRUE, Conditions.Reason.VALID, "The key is enabled", 3L, NOW);
        built.ready();
        return status;
    }

    private static Condition condition(MaiClientStatus status, String type) {
        return Conditions.find(status, type).orElseThrow(() -> new AssertionError("no " + type));
    }

    @Test
    void aPausedClientWithNothingPendingStaysReadyAndSaysWhatTheOperatorStillDoes() {
        MaiClientStatus status = ready();
        new StatusBuilder(status, 3L, NOW).paused(false);
        Condition paused = condition(status, Conditions.PAUSED);
        assertThat(paused.getStatus()).isEqualTo("True");
        assertThat(paused.getReason()).isEqualTo("Paused");
        assertThat(paused.getMessage()).contains("mai.dev/paused").contains("spec.disableKey").contains("deletion")
                .contains("Remove the annotation to resume");
        assertThat(condition(status, Conditions.READY).getStatus()).isEqualTo("True");
        assertThat(condition(status, Conditions.KEY_PROVISIONED).getReason()).isEqualTo("Provisioned");
    }

    @Test
    void aSpecChangedWhilePausedShowsOnKeyProvisionedAndReadyUntilThePauseEnds() {
        MaiClientStatus status = ready();
        new StatusBuilder(status, 4L, NOW).paused(true);
        Condition provisioned = condition(status, Conditions.KEY_PROVISIONED);
        assertThat(provisioned.getStatus()).isEqualTo("Unknown");
        assertThat(provisioned.getReason()).isEqualTo("Paused");
        assertThat(provisioned.getMessage()).contains("generation 4").contains("applied when the pause ends");
        assertThat(condition(status, Conditions.READY)).satisfies(r -> {
            assertThat(r.getStatus()).isEqualTo("Unknown");
            assertThat(r.getReason()).isEqualTo("Paused");
        });
        assertThat(Conditions.isTrueFor(status, Conditions.KEY_PROVISIONED, 4L)).as("the next reconcile reads the key afresh").isFalse();
    }

    @Test
    void theSameObservationWhilePausedGivesAnEqualStatusAndTheResumeRemovesPaused() {
        MaiClientStatus status = ready();
        new StatusBuilder(status, 3L, NOW).paused(false);
        MaiClientStatus again = new MaiClientStatus(status);
        new StatusBuilder(again, 3L, NOW.plusSeconds(60)).paused(false);
        assertThat(again).as("no write per reconcile").isEqualTo(status);
        new StatusBuilder(again, 3L, NOW.plusSeconds(120)).resumed();
        assertThat(Conditions.find(again, Conditions.PAUSED)).isEmpty();
    }
}
