package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which updates of a MaiClient start a reconcile: a new generation (spec change), the start of a
 * deletion, a change of finalizers, and the annotations people use to steer the operator
 * ({@code mai.dev/abandon-key}, also while the MaiClient is being deleted, and
 * {@code mai.dev/rotate}, {@code mai.dev/take-over}, {@code mai.dev/paused}: its removal resumes
 * the client at once). Status-only updates —
 * the operator's own writes — do not. JOSDK's generation-aware filtering alone would drop the
 * annotation changes (an annotation does not change the generation), so this filter replaces it.
 */
public class MaiClientUpdates implements OnUpdateFilter<MaiClient> {

    @Override
    public boolean accept(MaiClient updated, MaiClient old) {
        var now = updated.getMetadata();
        var before = old.getMetadata();
        return !Objects.equals(now.getGeneration(), before.getGeneration())
                || updated.isMarkedForDeletion() != old.isMarkedForDeletion()
                || !Objects.equals(now.getFinalizers(), before.getFinalizers())
                || !Objects.equals(annotation(updated, Labels.ABANDON_KEY), annotation(old, Labels.ABANDON_KEY))
                || !Objects.equals(annotation(updated, Labels.ROTATE), annotation(old, Labels.ROTATE))
                || !Objects.equals(annotation(updated, Labels.TAKE_OVER), annotation(old, Labels.TAKE_OVER))
                || !Objects.equals(annotation(updated, Labels.PAUSED), annotation(old, Labels.PAUSED));
    }

    /** The value of annotation {@code name} on the MaiClient; null when it has none. */
    static String annotation(MaiClient client, String name) {
        return Optional.ofNullable(client.getMetadata().getAnnotations()).orElse(Map.of()).get(name);
    }
}
