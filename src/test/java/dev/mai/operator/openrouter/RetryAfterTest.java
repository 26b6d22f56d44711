package dev.mai.operator.openrouter;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @Test
    void secondsAreTakenAsGiven() {
        assertThat(RestOpenRouterKeys.retryAfter("5", NOW)).isEqualTo(Duration.ofSeconds(5));
        assertThat(RestOpenRouterKeys.retryAfter(" 0 ", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void anHttpDateIsTheTimeUntilThen() {
        assertThat(RestOpenRouterKeys.retryAfter("Thu, 26 Nov 2026 12:00:30 GMT", NOW)).isEqualTo(Duration.ofSeconds(30));
        assertThat(RestOpenRouterKeys.retryAfter("Thu, 26 Nov 2026 11:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void longWaitsAreClampedToTenMinutes() {
        assertThat(RestOpenRouterKeys.retryAfter("86400", NOW)).isEqualTo(Duration.ofMinutes(10));
        assertThat(RestOpenRouterKeys.retryAfter("Fri, 27 Nov 2026 12:00:00 GMT", NOW)).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void absentOrUnreadableMeansNone() {
        assertThat(RestOpenRouterKeys.retryAfter(null, NOW)).isNull();
        assertThat(RestOpenRouterKeys.retryAfter("soon", NOW)).isNull();
    }
}
