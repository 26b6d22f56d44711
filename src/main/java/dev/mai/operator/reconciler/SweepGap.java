package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A MaiClient's key that the validation sweep could not check: since the first sweep of an unbroken
 * run of such sweeps ({@code since}), and why, as of the latest one ({@code reason}: a listing taken
 * for a fault, an account that could not be listed, a lookup that failed). Both stay the same from
 * sweep to sweep while the cause lasts, so the observation carrying it is an event only when the gap
 * opens, changes cause or closes — and status is written then, never per sweep.
 *
 * <p>Status shows it on {@code KeyValid}: the condition keeps the status and reason of the last check,
 * and its message gains {@link #note()}; the note goes again once a sweep (or a reconcile's fresh
 * read) checks the key.
 */
public record SweepGap(Instant since, String reason) {

    /** Where the note begins in a KeyValid message; what precedes it is the last check's message. */
    static final String MARK = "; the validation sweep could not check this key since ";

    /** What the KeyValid message gains while the gap lasts. */
    public String note() {
        return MARK + since.truncatedTo(ChronoUnit.SECONDS) + ": " + reason + " (this condition is as of the last check)";
    }

    /** The message without a sweep note. */
    public static String strip(String message) {
        int at = message == null ? -1 : message.indexOf(MARK);
        return at < 0 ? message : message.substring(0, at);
    }

    /**
     * Puts the note on {@code status}'s KeyValid message, or takes it off when there is no gap. The
     * condition keeps {@code before}'s transition time when it comes out as it was there, so an
     * unchanged gap writes nothing.
     */
    public static void show(MaiClientStatus before, MaiClientStatus status, Optional<SweepGap> gap, Instant now) {
        Optional<Condition> current = Conditions.find(status, Conditions.KEY_VALID);
        if (current.isEmpty()) {
            return;
        }
        Condition c = current.get();
        String base = strip(c.getMessage());
        String message = gap.map(g -> base + g.note()).orElse(base);
        Optional<Condition> was = Conditions.find(before, Conditions.KEY_VALID);
        String transition = was.filter(w -> Objects.equals(w.getStatus(), c.getStatus())
                && Objects.equals(w.getReason(), c.getReason()) && Objects.equals(w.getMessage(), message))
                .map(Condition::getLastTransitionTime)
                .orElse(Objects.equals(message, c.getMessage()) ? c.getLastTransitionTime()
                        : now.truncatedTo(ChronoUnit.SECONDS).toString());
        if (Objects.equals(message, c.getMessage()) && Objects.equals(transition, c.getLastTransitionTime())) {
            return;
        }
        List<Condition> conditions = new ArrayList<>(status.getConditions());
        conditions.set(conditions.indexOf(c), new ConditionBuilder(c).withMessage(message).withLastTransitionTime(transition).build());
        status.setConditions(conditions);
    }
}
