package dev.mai.operator.reconciler;

import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.Budget;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;

/**
 * When a reconcile comes back by itself for a moment in time (a reset, a rotation, an old key's
 * deadline), and the clocks such moments are judged on: the operator's, and OpenRouter's (the Date
 * of its latest answer). The fixed waits are {@link Waits}.
 */
@ApplicationScoped
public class Requeue {

    private final MaiConfig config;
    private final KeyLifecycle lifecycle;

    public Requeue(MaiConfig config, KeyLifecycle lifecycle) {
        this.config = config;
        this.lifecycle = lifecycle;
    }

    /** The operator's clock and OpenRouter's as they stand now: resets are judged on both. */
    Budget.Clocks clocks(Instant now) {
        return new Budget.Clocks(now, lifecycle.openRouterTime());
    }

    /** How long until {@code at} (a second past it), at most one validation interval: a clock that jumps is noticed. */
    Duration until(Instant at, Instant now) {
        Duration d = Duration.between(now, at).plusSeconds(1);
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            d = Duration.ofSeconds(1);
        }
        return d.compareTo(config.validationInterval()) > 0 ? config.validationInterval() : d;
    }

    /**
     * How long until a period boundary has passed on both clocks (plus the margin), at least a
     * second and at most one validation interval; without OpenRouter's clock, one validation interval.
     */
    Duration untilReset(Instant boundary, Instant now) {
        Budget.Clocks clocks = clocks(now);
        if (clocks.openRouter().isEmpty()) {
            return config.validationInterval();
        }
        return until(now.plus(clocks.untilPassed(boundary)), now);
    }
}
