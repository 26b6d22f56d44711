package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Operator-wide limits on the management key: MAI_DEFAULT_KEY_NAMESPACES (only selected namespaces
 * may use the operator-wide key) and MAI_MAX_SPENDING_LIMIT.
 */
@QuarkusTest
@TestProfile(DefaultKeyNamespacesTest.Selected.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class DefaultKeyNamespacesTest extends OperatorHarness {

    /** The operator with MAI_DEFAULT_KEY_NAMESPACES=mai.dev/operator-key=allowed and MAI_MAX_SPENDING_LIMIT=500. */
    public static class Selected implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mai.default-key-namespaces", "mai.dev/operator-key=allowed", "mai.max-spending-limit", "500");
        }
    }

    private void namespace(String name, boolean allowed) {
        client.resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .withLabels(allowed ? Map.of("mai.dev/operator-key", "allowed") : Map.of()).endMetadata().build()).create();
    }

    @Test
    void onlySelectedNamespacesUseTheOperatorWideKey() {
        namespace("n-allowed", true);
        namespace("n-denied", false);
        long before = simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()));
        create(Clients.maiClient("n-denied", "abc", "Denied Co", "10"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("n-denied", "abc"), "KeyProvisioned"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("ProvisioningKeyMissing");
                    assertThat(c.getMessage()).contains("MAI_DEFAULT_KEY_NAMESPACES").contains("spec.provisioningKeySecretRef");
                }));
        assertThat(simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()))).isEqualTo(before);

        create(Clients.maiClient("n-allowed", "abc", "Allowed Co", "10"));
        awaitReady("n-allowed", "abc");

        // labelling the namespace is seen at once (the namespaces are watched)
        client.namespaces().withName("n-denied").edit(ns -> new NamespaceBuilder(ns).editMetadata()
                .addToLabels("mai.dev/operator-key", "allowed").endMetadata().build());
        awaitReady("n-denied", "abc");
    }

    @Test
    void maxSpendingLimitRefusesLargerLimitsWithoutCallingOpenRouter() {
        namespace("n-capped", true);
        long before = simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()));
        create(Clients.maiClient("n-capped", "big", "Big Spender Co", "500.01"));
        create(Clients.maiClient("n-capped", "open", "Open Ended Co", "unlimited"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (String name : new String[] {"big", "open"}) {
                assertThat(condition(get("n-capped", name), "Ready")).as(name).hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("InvalidSpec");
                    assertThat(c.getMessage()).contains("spec.spendingLimit").contains("500.00");
                });
            }
        });
        assertThat(simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()))).isEqualTo(before);
        assertThat(events("n-capped", "big")).extracting(e -> e.getReason()).contains("InvalidSpec");
        create(Clients.maiClient("n-capped", "fits", "Fits Co", "500"));
        awaitReady("n-capped", "fits");
    }
}
