package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
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

/**
 * People edit and delete Secrets. The key's value exists only in the Secret (OpenRouter shows it
 * once), so a lost or edited key is replaced and the old one revoked; everything else is restored;
 * a Secret the operator does not own is never touched.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class SecretDriftTest extends OperatorHarness {

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private OpenRouterSimulator.Key provisioned(String namespace) {
        create(Clients.maiClient(namespace, "abc", "Drift Co", "10"));
        MaiClient mc = awaitReady(namespace, "abc");
        assertThat(keysOf(mc)).hasSize(1);
        return keysOf(mc).get(0);
    }

    @Test
    void deletedSecretGetsANewKeyAndTheOldOneIsRevoked() {
        OpenRouterSimulator.Key old = provisioned("d-deleted");
        client.secrets().inNamespace("d-deleted").withName("abc-env").delete();

        await().atMost(PATIENCE).untilAsserted(() -> {
            Secret secret = secret("d-deleted", "abc-env");
            assertThat(secret).isNotNull();
            assertThat(data(secret, "OPENROUTER_API_KEY")).isNotEqualTo(old.secret);
            assertThat(old.deleted).isTrue();
        });
        MaiClient mc = awaitReady("d-deleted", "abc");
        assertThat(keysOf(mc)).singleElement().satisfies(k -> {
            assertThat(data(secret("d-deleted", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret);
            assertThat(mc.getStatus().getKeyHash()).isEqualTo(k.hash);
        });
        assertThat(events("d-deleted", "abc")).extracting(e -> e.getReason()).contains("KeyReplaced", "OldKeyRevoked");
    }

    @Test
    void editedKeyValueGetsANewKeyAndTheOldOneIsRevoked() {
        OpenRouterSimulator.Key old = provisioned("d-keyedit");
        String typo = "sk-or-v1-" + "1".repeat(64);
        client.secrets().inNamespace("d-keyedit").withName("abc-env")
                .edit(s -> new SecretBuilder(s).addToData("OPENROUTER_API_KEY", base64(typo)).build());

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(old.deleted).isTrue();
            MaiClient mc = get("d-keyedit", "abc");
            assertThat(keysOf(mc)).singleElement().satisfies(k ->
                    assertThat(data(secret("d-keyedit", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret));
        });
        awaitReady("d-keyedit", "abc");
        assertThat(events("d-keyedit", "abc")).filteredOn(e -> "KeyReplaced".equals(e.getReason()))
                .singleElement().satisfies(e -> assertThat(e.getMessage()).contains("changed by hand"));
    }

    @Test
    void editedValuesAndAnnotationsAreRestoredWithTheSameKey() {
        OpenRouterSimulator.Key key = provisioned("d-values");
        long creates = simulator().count("POST /keys");
        client.secrets().inNamespace("d-values").withName("abc-env").edit(s -> new SecretBuilder(s)
                .addToData("ORGANIZATION_NAME", base64("Someone Else"))
                .addToData("SPENDING_LIMIT", base64("999999"))
                .editMetadata().addToAnnotations("mai.dev/key-hash", "0".repeat(64)).endMetadata()
                .build());

        await().atMost(PATIENCE).untilAsserted(() -> {
            Secret secret = secret("d-values", "abc-env");
            assertThat(data(secret, "ORGANIZATION_NAME")).isEqualTo("Drift Co");
            assertThat(data(secret, "SPENDING_LIMIT")).isEqualTo("10.00");
            assertThat(secret.getMetadata().getAnnotations()).containsEntry("mai.dev/key-hash", key.hash);
        });
        assertThat(data(secret("d-values", "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(key.secret);
        assertThat(key.deleted).isFalse();
        assertThat(simulator().count("POST /keys")).isEqualTo(creates);
        assertThat(events("d-values", "abc")).filteredOn(e -> "SecretWritten".equals(e.getReason())).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void aSecretTheOperatorDidNotCreateIsNeverTouched() {
        Secret foreign = new SecretBuilder().withNewMetadata().withName("abc-env").withNamespace("d-foreign")
                .withLabels(Map.of("owner", "someone")).endMetadata()
                .addToData("OPENROUTER_API_KEY", base64("theirs")).build();
        client.resource(foreign).create();
        long creates = simulator().count("POST /keys");

        create(Clients.maiClient("d-foreign", "abc", "Conflict Co", "10"));

        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get("d-foreign", "abc");
            assertThat(condition(mc, "SecretSynced")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("SecretConflict"));
            assertThat(condition(mc, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
            // the other conditions say what they wait for, not "Not reconciled yet"
            assertThat(condition(mc, "KeyProvisioned")).hasValueSatisfying(c -> {
                assertThat(c.getReason()).isEqualTo("SecretConflict");
                assertThat(c.getMessage()).contains("Waits for SecretSynced");
            });
        });
        Secret after = secret("d-foreign", "abc-env");
        assertThat(after.getData()).isEqualTo(foreign.getData());
        assertThat(after.getMetadata().getLabels()).isEqualTo(Map.of("owner", "someone"));
        assertThat(after.getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(simulator().count("POST /keys")).isEqualTo(creates);
        assertThat(events("d-foreign", "abc")).extracting(e -> e.getReason()).contains("SecretConflict");
    }

    @Test
    void renamingTheSecretMovesItWithTheSameKey() {
        OpenRouterSimulator.Key key = provisioned("d-rename");
        edit("d-rename", "abc", m -> m.getSpec().setSecret(Clients.secret("renamed-env", Map.of("team", "x"), null)));

        await().atMost(PATIENCE).untilAsserted(() -> {
            Secret moved = secret("d-rename", "renamed-env");
            assertThat(moved).isNotNull();
            assertThat(data(moved, "OPENROUTER_API_KEY")).isEqualTo(key.secret);
            assertThat(moved.getMetadata().getLabels()).containsEntry("team", "x");
            assertThat(secret("d-rename", "abc-env")).isNull();
        });
        MaiClient mc = awaitReady("d-rename", "abc");
        assertThat(mc.getStatus().getSecretName()).isEqualTo("renamed-env");
        assertThat(keysOf(mc)).containsExactly(key);
    }

    @Test
    void aKeyDisabledOutsideTheOperatorStaysDisabled() {
        OpenRouterSimulator.Key key = provisioned("d-brake");
        simulator().disableOutside(key.hash); // a person pulled the brake in OpenRouter's dashboard
        // the operator looks at the key when the spec changes (the periodic sweep is issue 4)
        edit("d-brake", "abc", m -> m.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("20")));

        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get("d-brake", "abc");
            assertThat(mc.getStatus().getObservedGeneration()).isEqualTo(2L);
            assertThat(condition(mc, "KeyValid")).hasValueSatisfying(c -> {
                assertThat(c.getReason()).isEqualTo("KeyDisabledOutside");
                assertThat(c.getMessage()).contains("spec.disableKey: true").contains("delete Secret abc-env");
            });
            assertThat(condition(mc, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        });
        assertThat(key.disabled).isTrue();
        assertThat(key.limit).isEqualByComparingTo("20");
        assertThat(events("d-brake", "abc")).extracting(e -> e.getReason()).contains("KeyDisabledOutside");

        edit("d-brake", "abc", m -> m.getSpec().setDisableKey(true));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("d-brake", "abc"), "KeyValid"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("KeyDisabled")));
        assertThat(key.disabled).isTrue();
        assertThat(keysOf(get("d-brake", "abc"))).containsExactly(key);
    }

    @Test
    void aLimitEditedOnOpenRouterIsPutBack() {
        OpenRouterSimulator.Key key = provisioned("d-limit");
        key.limit = new java.math.BigDecimal("5000");
        key.limitReset = "daily";
        edit("d-limit", "abc", m -> m.getSpec().setOrganizationName("Drift Co Renamed"));

        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(key.limit).isEqualByComparingTo("10");
            assertThat(key.limitReset).isNull();
            assertThat(key.name).startsWith("mAI Client: Drift Co Renamed ");
        });
        awaitReady("d-limit", "abc");
        assertThat(events("d-limit", "abc")).filteredOn(e -> "KeyUpdated".equals(e.getReason()))
                .singleElement().satisfies(e -> assertThat(e.getMessage()).contains("name").contains("limit").contains("limit_reset"));
    }
}
