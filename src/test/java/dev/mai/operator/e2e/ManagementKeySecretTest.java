package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tenants billed to another OpenRouter account: spec.provisioningKeySecretRef. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class ManagementKeySecretTest extends OperatorHarness {

    private Secret keySecret(String namespace, String value, boolean labelled) {
        return new SecretBuilder().withNewMetadata().withName("tenant-key").withNamespace(namespace)
                .withLabels(labelled ? Map.of("mai.dev/provisioning-key", "true") : Map.of()).endMetadata()
                .addToData("key", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))).build();
    }

    private MaiClient withRef(String namespace) {
        ProvisioningKeyRef ref = new ProvisioningKeyRef();
        ref.setName("tenant-key");
        ref.setKey("key");
        return Clients.with(Clients.maiClient(namespace, "abc", "Other Account Co", "10"), s -> s.setProvisioningKeySecretRef(ref));
    }

    /** A MaiClient in {@code namespace} using the management key {@code key} from its labelled Secret, Ready. */
    private MaiClient provisionedWith(String namespace, String key) {
        client.resource(keySecret(namespace, key, true)).create();
        create(withRef(namespace));
        return awaitReady(namespace, "abc");
    }

    private String finalizerOf(MaiClient mc) {
        return "mai.dev/key-user-" + mc.getMetadata().getUid();
    }

    @Test
    void theReferencedKeyIsUsedAndItsSecretIsHeld() {
        String otherAccount = simulator().newManagementKey();
        MaiClient mc = provisionedWith("m-ref", otherAccount);
        assertThat(keysOf(mc)).singleElement().satisfies(k -> assertThat(k.managementKey).isEqualTo(otherAccount));
        assertThat(secret("m-ref", "tenant-key").getMetadata().getFinalizers()).contains(finalizerOf(mc));
        assertThat(mc.getStatus().getProvisioningKeySecretRef().getName()).isEqualTo("tenant-key");
    }

    @Test
    void pointingAtAnotherAccountIsRefusedAndTheKeyStaysWhereItLives() {
        String accountA = simulator().newManagementKey();
        MaiClient mc = provisionedWith("m-switch", accountA);
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        Secret other = new SecretBuilder(keySecret("m-switch", simulator().newManagementKey(), true))
                .editMetadata().withName("other-key").endMetadata().build();
        client.resource(other).create();
        long creates = simulator().count("POST /keys");

        edit("m-switch", "abc", m -> m.getSpec().getProvisioningKeySecretRef().setName("other-key"));

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("m-switch", "abc"), "KeyProvisioned"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("ProvisioningKeyChanged");
                    assertThat(c.getMessage()).contains("Secret tenant-key").contains("Secret other-key");
                }));
        assertThat(simulator().count("POST /keys")).isEqualTo(creates);
        assertThat(keysOf(mc)).containsExactly(key);
        assertThat(secret("m-switch", "tenant-key").getMetadata().getFinalizers()).contains(finalizerOf(mc));

        // deleting it now still deletes the key on the account it lives on
        client.resource(get("m-switch", "abc")).delete();
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(get("m-switch", "abc")).isNull();
            assertThat(key.deleted).isTrue();
        });
        assertThat(secret("m-switch", "tenant-key").getMetadata().getFinalizers()).doesNotContain(finalizerOf(mc));
    }

    @Test
    void aMissingOrUnlabelledSecretCreatesNothingAndAFixIsUsedAtOnce() {
        long before = simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()));
        create(withRef("m-missing"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("m-missing", "abc"), "KeyProvisioned"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("ProvisioningKeyMissing");
                    assertThat(c.getMessage()).contains("m-missing/tenant-key").contains("does not exist");
                }));
        client.resource(keySecret("m-missing", simulator().newManagementKey(), false)).create();
        // an unlabelled Secret is not watched: it is noticed at the next retry of a missing key (30 s)
        await().atMost(java.time.Duration.ofSeconds(75)).untilAsserted(() -> assertThat(condition(get("m-missing", "abc"), "KeyProvisioned"))
                .hasValueSatisfying(c -> assertThat(c.getMessage()).contains("is not labelled mai.dev/provisioning-key")));
        assertThat(simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation())))
                .as("requests besides the sweep's listings").isEqualTo(before);
        assertThat(events("m-missing", "abc")).extracting(e -> e.getReason()).contains("ProvisioningKeyMissing");

        client.secrets().inNamespace("m-missing").withName("tenant-key")
                .edit(s -> new SecretBuilder(s).editMetadata().addToLabels("mai.dev/provisioning-key", "true").endMetadata().build());
        awaitReady("m-missing", "abc");
    }

    @Test
    void aRejectedKeyFromTheSecretIsReportedAndNothingIsCreated() {
        client.resource(keySecret("m-rejected", "sk-or-v1-" + "e".repeat(64), true)).create();
        create(withRef("m-rejected"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("m-rejected", "abc"), "KeyProvisioned"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("ProvisioningKeyRejected")));
        assertThat(keysOf(get("m-rejected", "abc"))).isEmpty();
        assertThat(client.secrets().inNamespace("m-rejected").withName("abc-env").get()).isNull();
        assertThat(events("m-rejected", "abc")).extracting(e -> e.getReason()).contains("ProvisioningKeyRejected");
    }

    @Test
    void deletingTheNamespaceDeletesTheKeyAndLeavesNothingStuck() {
        MaiClient mc = provisionedWith("m-nsdelete", simulator().newManagementKey());
        OpenRouterSimulator.Key key = keysOf(mc).get(0);

        // what a namespace deletion does: every object is marked for deletion, the key Secret first
        client.secrets().inNamespace("m-nsdelete").withName("tenant-key").delete();
        client.resource(mc).delete();

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(get("m-nsdelete", "abc")).isNull();
            assertThat(key.deleted).isTrue();
            assertThat(secret("m-nsdelete", "tenant-key")).isNull();
        });
    }

    @Test
    void abandonKeyLetsAPersonGiveTheKeyUp() {
        MaiClient mc = provisionedWith("m-abandon", simulator().newManagementKey());
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        // the key Secret is no longer usable, so the cleanup cannot reach OpenRouter
        client.secrets().inNamespace("m-abandon").withName("tenant-key").edit(s -> new SecretBuilder(s)
                .editMetadata().removeFromLabels("mai.dev/provisioning-key").endMetadata().build());
        client.resource(mc).delete();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(events("m-abandon", "abc")).extracting(e -> e.getMessage())
                .anyMatch(m -> m.contains("Deletion waits") && m.contains("mai.dev/abandon-key")));
        assertThat(get("m-abandon", "abc")).isNotNull();

        client.resources(MaiClient.class).inNamespace("m-abandon").withName("abc")
                .edit(m -> {
                    m.getMetadata().getAnnotations().put("mai.dev/abandon-key", "true");
                    return m;
                });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get("m-abandon", "abc")).isNull());
        assertThat(key.deleted).isFalse();
        assertThat(secret("m-abandon", "tenant-key").getMetadata().getFinalizers()).doesNotContain(finalizerOf(mc));
        assertThat(events("m-abandon", "abc")).extracting(e -> e.getReason()).contains("KeyAbandoned");
    }
}
