package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OpenRouter down, or rate limiting: reported in status, retried without hammering, healed without a person. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class OpenRouterFaultsTest extends OperatorHarness {

    @Test
    void anOutageLongerThanJosdksDefaultRetryBudgetHealsByItself() throws Exception {
        int n = 5;
        Duration outage = Duration.ofSeconds(90);
        Instant start = Instant.now();
        int before = simulator().requests().size();
        simulator().failAll(503);
        try {
            for (int i = 0; i < n; i++) {
                create(Clients.maiClient("f-outage", "o" + i, "Outage Co " + i, "10"));
            }
            await().atMost(PATIENCE).untilAsserted(() -> {
                for (int i = 0; i < n; i++) {
                    assertThat(condition(get("f-outage", "o" + i), "KeyProvisioned")).as("o" + i)
                            .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("OpenRouterUnavailable"));
                    assertThat(condition(get("f-outage", "o" + i), "Ready"))
                            .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
                }
            });
            Thread.sleep(Math.max(0, outage.minus(Duration.between(start, Instant.now())).toMillis())); // the outage itself
        } finally {
            simulator().heal();
        }
        List<OpenRouterSimulator.Request> during = simulator().requests().subList(before, simulator().requests().size());
        // exponential backoff from 2 s: attempts at about 0, 2, 6, 14, 30, 62 s, one request each
        // one request per reconcile attempt, plus one failed listing per sweep (every 2 s ±10% in tests: at most 50)
        assertThat(during).as("requests during a 90 s outage").hasSizeLessThanOrEqualTo(n * 8 + 50)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(503));

        await().atMost(Duration.ofMinutes(4)).untilAsserted(() -> {
            for (int i = 0; i < n; i++) {
                MaiClient mc = get("f-outage", "o" + i);
                assertThat(condition(mc, "Ready")).as("o" + i).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            }
        });
        for (int i = 0; i < n; i++) {
            assertThat(keysOf(get("f-outage", "o" + i))).hasSize(1);
        }
    }

    /** What {@code kubectl wait --for=condition=Ready} checks, plus observedGeneration: the new spec is in effect. */
    private boolean readyForCurrentGeneration(String namespace, String name) {
        MaiClient mc = get(namespace, name);
        return mc.getStatus() != null && mc.getStatus().getObservedGeneration() != null
                && mc.getStatus().getObservedGeneration() >= mc.getMetadata().getGeneration()
                && condition(mc, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    @Test
    void readyForTheNewGenerationOnlyOnceItWasReconciled() {
        create(Clients.maiClient("f-wait", "abc", "Wait Co", "10"));
        awaitReady("f-wait", "abc");
        simulator().failAll(503);
        try {
            edit("f-wait", "abc", m -> m.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("20")));
            // the new limit cannot reach OpenRouter: the wait condition must not hold meanwhile
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                    .until(() -> !readyForCurrentGeneration("f-wait", "abc"));
            assertThat(get("f-wait", "abc").getMetadata().getGeneration()).isEqualTo(2L);
        } finally {
            simulator().heal();
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> readyForCurrentGeneration("f-wait", "abc"));
        assertThat(keysOf(get("f-wait", "abc")).get(0).limit).isEqualByComparingTo("20");
    }

    @Test
    void aRateLimitPausesTheAccountForItsRetryAfter() {
        int before = simulator().requests().size();
        simulator().retryAfter("5").failNext(1, 429);
        create(Clients.maiClient("f-429", "abc", "Rate Limited Co", "10"));
        awaitReady("f-429", "abc");

        List<OpenRouterSimulator.Request> seen = simulator().requests().subList(before, simulator().requests().size()).stream()
                .filter(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation())).toList();
        assertThat(seen.get(0).status()).isEqualTo(429);
        Instant limited = seen.get(0).at();
        assertThat(seen.subList(1, seen.size())).isNotEmpty()
                .allSatisfy(r -> assertThat(r.at()).as(r.operation()).isAfterOrEqualTo(limited.plusSeconds(5)));
        assertThat(events("f-429", "abc")).extracting(e -> e.getReason()).contains("KeyCreated");
        assertThat(keysOf(get("f-429", "abc"))).hasSize(1);
    }

    @Test
    void aRejectedManagementKeyIsReportedAndNothingIsCreated() {
        int before = simulator().requests().size();
        simulator().failNext(1, 401);
        create(Clients.maiClient("f-401", "abc", "Rejected Co", "10"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get("f-401", "abc");
            assertThat(condition(mc, "KeyProvisioned")).hasValueSatisfying(c -> {
                assertThat(c.getReason()).isEqualTo("ProvisioningKeyRejected");
                assertThat(c.getMessage()).contains("HTTP 401");
            });
        });
        assertThat(simulator().requests().subList(before, simulator().requests().size()))
                .filteredOn(r -> !MaiClientLifecycleTest.SWEEP.equals(r.operation())).hasSize(1);
        assertThat(keysOf(get("f-401", "abc"))).isEmpty();
        assertThat(events("f-401", "abc")).extracting(e -> e.getReason()).contains("ProvisioningKeyRejected");
        assertThat(client.secrets().inNamespace("f-401").list().getItems()).isEmpty();
    }
}
