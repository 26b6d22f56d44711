package dev.mai.operator.e2e;

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

/** MAI_DEFAULT_KEY_NAMESPACES: only selected namespaces may use the operator-wide management key. */
@QuarkusTest
@TestProfile(DefaultKeyNamespacesTest.Selected.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class DefaultKeyNamespacesTest extends OperatorHarness {

    /** The operator with MAI_DEFAULT_KEY_NAMESPACES=mai.dev/operator-key=allowed. */
    public static class Selected implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mai.default-key-namespaces", "mai.dev/operator-key=allowed");
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
        int before = simulator().requests().size();
        create(Clients.maiClient("n-denied", "abc", "Denied Co", "10"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("n-denied", "abc"), "KeyProvisioned"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("ProvisioningKeyMissing");
                    assertThat(c.getMessage()).contains("MAI_DEFAULT_KEY_NAMESPACES").contains("spec.provisioningKeySecretRef");
                }));
        assertThat(simulator().requests()).hasSize(before);

        create(Clients.maiClient("n-allowed", "abc", "Allowed Co", "10"));
        awaitReady("n-allowed", "abc");

        // labelling the namespace is seen at once (the namespaces are watched)
        client.namespaces().withName("n-denied").edit(ns -> new NamespaceBuilder(ns).editMetadata()
                .addToLabels("mai.dev/operator-key", "allowed").endMetadata().build());
        awaitReady("n-denied", "abc");
    }
}
