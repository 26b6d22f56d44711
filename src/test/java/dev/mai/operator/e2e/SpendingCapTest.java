package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operator's own check of a namespace's spending cap (the label mai.dev/max-spending-limit on
 * the Namespace), for API servers without the shipped admission policy — here fabric8's mock server,
 * which has none: a MaiClient above the cap or unlimited under it is InvalidSpec naming the cap and
 * costs no OpenRouter request; a cap lowered below a client's limit holds its key at the cap on
 * OpenRouter (and says so), and raising or removing the cap lets the spec's limit apply again.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class SpendingCapTest extends OperatorHarness {

    private void cap(String namespace, String value) {
        if (client.namespaces().withName(namespace).get() == null) {
            client.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        }
        client.namespaces().withName(namespace).edit(ns -> {
            Map<String, String> labels = new HashMap<>(ns.getMetadata().getLabels() == null ? Map.of() : ns.getMetadata().getLabels());
            if (value == null) {
                labels.remove("mai.dev/max-spending-limit");
            } else {
                labels.put("mai.dev/max-spending-limit", value);
            }
            return new NamespaceBuilder(ns).editMetadata().withLabels(labels).endMetadata().build();
        });
    }

    private void awaitInvalid(String namespace, String name, String... phrases) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(namespace, name), "Ready")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("InvalidSpec");
            assertThat(c.getMessage()).contains(phrases);
        }));
    }

    @Test
    void aClientAboveItsNamespacesCapIsRefusedWithoutAskingOpenRouter() {
        cap("n-cap", "100");
        long before = simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()));
        create(Clients.maiClient("n-cap", "over", "Over Co", "150"));
        create(Clients.maiClient("n-cap", "open", "Open Co", "unlimited"));
        awaitInvalid("n-cap", "over", "spec.spendingLimit: must be at most 100.00 USD, the cap of namespace n-cap",
                "label mai.dev/max-spending-limit on Namespace n-cap");
        awaitInvalid("n-cap", "open", "spec.spendingLimit: may not be unlimited: at most 100.00 USD");
        assertThat(condition(get("n-cap", "over"), "Stalled")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        assertThat(simulator().count(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation()))).isEqualTo(before);

        // the cap removed: the namespace's clients are checked again at once and get their keys
        cap("n-cap", null);
        awaitReady("n-cap", "over");
        assertThat(keysOf(get("n-cap", "over")).get(0).limit).isEqualByComparingTo("150");
    }

    @Test
    void aLoweredCapHoldsTheKeyAtTheCapAndARaisedOneLetsTheSpecApply() {
        cap("n-lower", "100");
        create(Clients.with(Clients.maiClient("n-lower", "abc", "Lowered Co", "80"), s -> s.setLimitReset("monthly")));
        MaiClient ready = awaitReady("n-lower", "abc");
        assertThat(keysOf(ready).get(0).limit).isEqualByComparingTo("80");

        long creates = simulator().count("POST /keys");
        cap("n-lower", "50");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(keysOf(ready).get(0).limit).isEqualByComparingTo("50"));
        awaitInvalid("n-lower", "abc", "must be at most 50.00 USD, the cap of namespace n-lower", "is held at 50.00 USD meanwhile");
        MaiClient held = get("n-lower", "abc");
        assertThat(condition(held, "KeyProvisioned")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("InvalidSpec"));
        assertThat(condition(held, "KeyValid")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        assertThat(data(secret("n-lower", "abc-env"), "OPENROUTER_API_KEY")).isNotEmpty();
        assertThat(events("n-lower", "abc")).extracting(Event::getReason).contains("InvalidSpec");
        assertThat(keysOf(ready)).hasSize(1);
        assertThat(keysOf(ready).get(0).limitReset).isEqualTo("monthly");

        cap("n-lower", "200");
        awaitReady("n-lower", "abc");
        assertThat(keysOf(ready).get(0).limit).isEqualByComparingTo("80");
        assertThat(simulator().count("POST /keys")).as("the same key throughout").isEqualTo(creates);
        assertThat(events("n-lower", "abc")).extracting(Event::getReason).contains("Provisioned");
    }

    @Test
    void aCapLabelThatIsNoAmountRefusesEveryLimitThere() {
        cap("n-odd", "lots");
        create(Clients.maiClient("n-odd", "abc", "Odd Co", "1"));
        awaitInvalid("n-odd", "abc", "cannot be checked: the label mai.dev/max-spending-limit on Namespace n-odd is 'lots'");
        assertThat(keysOf(get("n-odd", "abc"))).isEmpty();
    }
}
