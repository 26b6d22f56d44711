package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.FALSE;
import static dev.mai.operator.reconciler.Conditions.TRUE;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.reconciler.Conditions.Reason;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Objects;

/** The events a change of condition is news of: a Warning when one turns False, a Normal event when it heals. */
@ApplicationScoped
public class StatusEvents {

    private final Events events;

    public StatusEvents(Events events) {
        this.events = events;
    }

    /** Posts what changed in condition {@code type} from {@code before} to {@code after}, if it is news. */
    void onChange(MaiClient client, MaiClientStatus before, MaiClientStatus after, String type) {
        var now = Conditions.find(after, type).orElse(null);
        var was = Conditions.find(before, type).orElse(null);
        if (now != null && TRUE.equals(now.getStatus()) && was != null && FALSE.equals(was.getStatus())) {
            // a sweep result that heals a condition (a limit reset, a key enabled again) is news too
            events.normal(client, now.getReason(), type + " again: " + now.getMessage() + " (was " + was.getReason() + ")");
            return;
        }
        if (now == null || !FALSE.equals(now.getStatus()) || Reason.KEY_DISABLED.equals(now.getReason())) {
            return; // a key disabled by the spec is what was asked for: its event is KeyUpdated
        }
        boolean same = Conditions.find(before, type)
                .filter(b -> Objects.equals(b.getReason(), now.getReason())
                        && Objects.equals(SweepGap.strip(b.getMessage()), SweepGap.strip(now.getMessage())))
                .isPresent();
        if (!same) {
            events.warning(client, now.getReason(), now.getMessage());
        }
    }
}
