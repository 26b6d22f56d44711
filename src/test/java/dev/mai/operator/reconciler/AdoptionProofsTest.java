package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The wait after failed proofs of possession of a key: 5 minutes, doubling with each failure, at most a day. */
class AdoptionProofsTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final String KEY = "a".repeat(64);

    @Test
    void eachFailureDoublesTheWaitUpToADayForThatKeyOnly() {
        Adoption.Proofs proofs = new Adoption.Proofs();
        assertThat(proofs.blockedUntil(KEY, NOW)).isEmpty();
        long[] minutes = {5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440, 1440};
        for (long expected : minutes) {
            assertThat(Duration.between(NOW, proofs.failed(KEY, NOW))).isEqualTo(Duration.ofMinutes(expected));
        }
        assertThat(proofs.blockedUntil(KEY, NOW.plus(Duration.ofHours(23)))).isPresent();
        assertThat(proofs.blockedUntil(KEY, NOW.plus(Duration.ofDays(1)))).as("the wait is over").isEmpty();
        assertThat(proofs.blockedUntil("b".repeat(64), NOW)).as("another key").isEmpty();
    }
}
