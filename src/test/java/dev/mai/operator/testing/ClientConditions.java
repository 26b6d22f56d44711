package dev.mai.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A MaiClient's status conditions as tests read them: one condition by type, and Ready as
 * {@link Clients#isReady} defines it (what {@code kubectl wait --for=condition=Ready} waits for),
 * asserted or awaited with the conditions quoted when it fails.
 */
public final class ClientConditions {

    private ClientConditions() {
    }

    /** The condition {@code type} of {@code mc}; empty when there is no such client, status or condition. */
    public static Optional<Condition> condition(MaiClient mc, String type) {
        if (mc == null || mc.getStatus() == null || mc.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return mc.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** Fails unless {@code mc} exists and is Ready for its current generation; the message quotes its conditions. */
    public static void assertReady(MaiClient mc, String what) {
        assertThat(mc).as("MaiClient %s", what).isNotNull();
        assertThat(Clients.isReady(mc)).as("%s Ready: %s", what, mc.getStatus() == null ? null : mc.getStatus().getConditions())
                .isTrue();
    }

    /** Waits at most {@code atMost} until {@code read} gives a Ready MaiClient (see {@link #assertReady}). */
    public static void awaitReady(Supplier<MaiClient> read, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            MaiClient mc = read.get();
            assertReady(mc, mc == null ? "(missing)" : mc.getMetadata().getNamespace() + "/" + mc.getMetadata().getName());
        });
    }
}
