package dev.mai.operator.reconciler;

import java.time.Duration;

/** How long the operator waits before it looks at a MaiClient again, by what it waits for. */
final class Waits {

    /** A failure that needs a person (bad management key, no credits, a refused Secret, ...). */
    static final Duration SLOW_RETRY = Duration.ofMinutes(5);
    /** A missing management key (a file may appear), a rollout target not there yet, a refused app object. */
    static final Duration MISSING_KEY_RETRY = Duration.ofSeconds(30);
    /** A new key OpenRouter does not accept or show yet, within its propagation window. */
    static final Duration PROPAGATION_RECHECK = Duration.ofSeconds(2);
    /** ... and once its propagation window has passed. */
    static final Duration SLOW_PROPAGATION_RECHECK = Duration.ofSeconds(30);
    /** How often a rotation may be asked for with {@code mai.dev/rotate}. */
    static final Duration ROTATE_REQUEST_SPACING = Duration.ofMinutes(5);

    private Waits() {
    }
}
