package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.testing.Clients;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MaiClientUpdatesTest {

    private final MaiClientUpdates filter = new MaiClientUpdates();

    private static MaiClient client(long generation) {
        MaiClient c = Clients.maiClient("ns", "abc", "ABC", "10");
        c.getMetadata().setGeneration(generation);
        c.getMetadata().setFinalizers(List.of(MaiClient.FINALIZER));
        return c;
    }

    @Test
    void statusOnlyAndUnrelatedMetadataChangesStartNothing() {
        MaiClient old = client(1);
        MaiClient updated = client(1);
        updated.setStatus(new MaiClientStatus());
        updated.getMetadata().setResourceVersion("99");
        updated.getMetadata().setLabels(Map.of("team", "x"));
        assertThat(filter.accept(updated, old)).isFalse();
    }

    @Test
    void specChangesDeletionFinalizersAndAbandonStartAReconcile() {
        assertThat(filter.accept(client(2), client(1))).isTrue();
        MaiClient deleting = client(1);
        deleting.getMetadata().setDeletionTimestamp("2026-11-26T12:00:00Z");
        assertThat(filter.accept(deleting, client(1))).isTrue();
        MaiClient noFinalizer = client(1);
        noFinalizer.getMetadata().setFinalizers(List.of());
        assertThat(filter.accept(noFinalizer, client(1))).isTrue();
        MaiClient abandoned = client(1);
        abandoned.getMetadata().setDeletionTimestamp("2026-11-26T12:00:00Z");
        abandoned.getMetadata().setAnnotations(Map.of("mai.dev/abandon-key", "true"));
        assertThat(filter.accept(abandoned, deleting)).isTrue();
    }

    @Test
    void settingOrRemovingThePauseStartsAReconcile() {
        MaiClient paused = client(1);
        paused.getMetadata().setAnnotations(Map.of("mai.dev/paused", "true"));
        assertThat(filter.accept(paused, client(1))).as("paused").isTrue();
        assertThat(filter.accept(client(1), paused)).as("resumed").isTrue();
        assertThat(filter.accept(paused, paused)).as("unchanged").isFalse();
    }
}
