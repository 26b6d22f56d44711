package dev.mai.operator.openrouter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The gate with its slot time under the test's control: what waits and what is refused, shown by
 * the order of events, never by how long anything took.
 */
class RequestGateTest {

    private static final ApiKey A = ApiKey.of("sk-or-v1-" + "a".repeat(64));
    private static final ApiKey B = ApiKey.of("sk-or-v1-" + "b".repeat(64));
    /** How long a step may take before the test gives up (a hang, not a measurement). */
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final long INTERVAL = Duration.ofMillis(100).toNanos(); // 10 requests per second

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final RequestGate gate = new RequestGate(10, Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC), nanos::get);

    private CompletableFuture<Void> enterLater(ApiKey account) {
        return CompletableFuture.runAsync(() -> gate.enter(account, "GET /keys"));
    }

    private void awaitWaiting(int n) {
        await().atMost(PATIENCE).until(() -> gate.waiting() == n);
    }

    @Test
    void aRequestWaitsUntilItsSlotIsDue() throws Exception {
        gate.enter(A, "GET /keys"); // the first slot is free
        CompletableFuture<Void> second = enterLater(B);
        awaitWaiting(1);
        assertThat(second).isNotDone();
        nanos.addAndGet(INTERVAL);
        second.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(gate.waiting()).isZero();
    }

    @Test
    void aPauseRefusesTheAccountsWaitingRequestsWithoutUsingTheirSlotAndLeavesOtherAccountsAlone() throws Exception {
        gate.enter(A, "GET /keys");
        CompletableFuture<Void> waitingA = enterLater(A);
        awaitWaiting(1);
        gate.pause(A, Duration.ofSeconds(30));
        assertThatThrownBy(() -> waitingA.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOfSatisfying(OpenRouterException.class, e -> {
                    assertThat(e.rateLimited()).isTrue();
                    assertThat(e.getMessage()).contains("not sent").doesNotContain(A.reveal()).doesNotContain("a".repeat(64));
                });
        assertThatThrownBy(() -> gate.enter(A, "GET /keys")).isInstanceOf(OpenRouterException.class);
        assertThat(gate.waiting()).isZero();
        // B takes the slot A's refused request would have had, and no later one
        CompletableFuture<Void> b = enterLater(B);
        awaitWaiting(1);
        nanos.addAndGet(INTERVAL);
        b.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
}
