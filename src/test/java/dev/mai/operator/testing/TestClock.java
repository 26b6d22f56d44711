package dev.mai.operator.testing;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The operator's one clock in the operator-in-the-loop tests: the system clock plus an offset a test
 * may move forward to cross a rotation time or a limit-reset boundary. With no offset (every other
 * test) it is the system clock; tests that move it put it back when they finish.
 */
@Alternative
@Priority(1)
@Singleton
public class TestClock extends Clock {

    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return Clock.offset(Clock.system(zone), offset.get());
    }

    @Override
    public Instant instant() {
        return Instant.now().plus(offset.get());
    }

    /** Moves the clock forward. */
    public void advance(Duration by) {
        offset.updateAndGet(o -> o.plus(by));
    }

    /** Sets the clock to {@code at} (from now on it runs on from there). */
    public void set(Instant at) {
        offset.set(Duration.between(Instant.now(), at));
    }

    /** How far this clock is ahead of the system clock (what the simulator's Date skew mirrors). */
    public Duration offset() {
        return offset.get();
    }

    /** Back to the system clock. */
    public void reset() {
        offset.set(Duration.ZERO);
    }
}
