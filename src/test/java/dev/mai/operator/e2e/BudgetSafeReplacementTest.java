package dev.mai.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * A replaced key must not hand out fresh budget (SPEC 5, "Budget-safe"): a client that spent 60 of
 * its monthly 100 and lost its key — Secret deleted, or key deleted on OpenRouter — gets a new key
 * limited to the 40 left, and its status goes on counting the 60.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class BudgetSafeReplacementTest extends OperatorHarness {

    private OpenRouterSimulator.Key spent60(String namespace) {
        create(Clients.with(Clients.maiClient(namespace, "abc", "Budget Safe Co", "100"), s -> s.setLimitReset("monthly")));
        MaiClient mc = awaitReady(namespace, "abc");
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        simulator().spend(key.hash, new BigDecimal("60"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(namespace, "abc").getStatus().getUsage()).isEqualTo("60.00"));
        return key;
    }

    private void assertReplacedWithWhatWasLeft(String namespace, OpenRouterSimulator.Key old) {
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get(namespace, "abc");
            assertThat(mc.getStatus().getKeyHash()).isNotEqualTo(old.hash);
            assertThat(old.deleted).isTrue();
            assertThat(mc.getStatus().getLimitRemaining()).isEqualTo("40.00");
        });
        MaiClient mc = awaitReady(namespace, "abc");
        OpenRouterSimulator.Key fresh = keysOf(mc).get(0);
        assertThat(keysOf(mc)).hasSize(1);
        assertThat(fresh.limit).as("the new key's limit: what the month has left").isEqualByComparingTo("40");
        assertThat(mc.getStatus().getUsage()).isEqualTo("60.00");
        assertThat(mc.getStatus().getUsageInPeriod()).isEqualTo("60.00");
        assertThat(mc.getStatus().getCarriedUsage()).isEqualTo("60.00");
        assertThat(mc.getStatus().getCarriedUntil()).isEqualTo(mc.getStatus().getNextLimitResetAt());

        // spending on the new key adds up with the carried figures
        simulator().spend(fresh.hash, new BigDecimal("15"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            var status = get(namespace, "abc").getStatus();
            assertThat(status.getUsage()).isEqualTo("75.00");
            assertThat(status.getUsageInPeriod()).isEqualTo("75.00");
            assertThat(status.getLimitRemaining()).isEqualTo("25.00");
        });
        assertThat(fresh.limit).as("steady: the limit is not raised back by a sweep").isEqualByComparingTo("40");
    }

    @Test
    void aDeletedSecretDoesNotHandOutFreshBudget() {
        OpenRouterSimulator.Key old = spent60("b-secret");
        client.secrets().inNamespace("b-secret").withName("abc-env").delete();
        assertReplacedWithWhatWasLeft("b-secret", old);
        assertThat(old.limit).as("the old key was frozen at its spend before it was replaced").isEqualByComparingTo("60");
    }

    @Test
    void aKeyDeletedOnOpenRouterDoesNotHandOutFreshBudget() {
        OpenRouterSimulator.Key old = spent60("b-revoked");
        simulator().deleteOutside(old.hash);
        assertReplacedWithWhatWasLeft("b-revoked", old);
    }
}
