package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ApiRequests;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.Rollouts;
import dev.mai.operator.testing.SimulatorResource;
import dev.mai.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A reconcile that only brakes — a paused client, or one whose namespace's cap label cannot be read —
 * never keeps money flowing that the spec or a cap stopped: old keys of a rotation still in use are
 * braked too, spec.disableKey and a lowered limit, cap or reset apply; and a client held at a cap or
 * paused in steady state writes nothing per sweep. (Found by the attacker review of these features.)
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class BrakesTest extends OperatorHarness {

    @Inject
    TestClock clock;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private MaiClient readyWithApp(String namespace) {
        MaiClient spec = ClientAppTest.withApp(namespace, "abc", null);
        spec.getMetadata().setAnnotations(new HashMap<>());
        create(spec);
        await().atMost(PATIENCE).until(() -> client().apps().deployments().inNamespace(namespace).withName("abc-app").get(),
                d -> d != null);
        Rollouts.markRolledOut(client(), namespace, "abc-app");
        return awaitReady(namespace, "abc");
    }

    /** A requested rotation whose consumer (the app) has not rolled out: the old key waits, with its share. */
    private OpenRouterSimulator.Key rotatedAndPaused(String ns, MaiClient mc, OpenRouterSimulator.Key old) {
        simulator().spend(old.hash, new BigDecimal("30"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage()).isEqualTo("30.00"));
        clock.advance(Duration.ofMinutes(6));
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "1"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(keysOf(mc)).hasSize(2));
        assertThat(old.limit).as("30 spent + half of the 70 left").isEqualByComparingTo("65");
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/paused", "true"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "Paused"))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));
        return keysOf(mc).stream().filter(k -> !k.hash.equals(old.hash)).findFirst().orElseThrow();
    }

    private static BigDecimal spendable(OpenRouterSimulator.Key key) {
        return key.disabled || key.deleted ? BigDecimal.ZERO : key.limit.subtract(key.usageInPeriod).max(BigDecimal.ZERO);
    }

    /** The operator's writes (status included) and events for MaiClient abc of {@code ns} over {@code sweeps} complete sweeps. */
    private List<String> writesOver(String ns, int sweeps) throws InterruptedException, java.io.IOException {
        awaitCompleteSweeps(2); // what led here is behind us
        drainRequests(testServer);
        int eventsBefore = events(ns, "abc").size();
        List<String> seen = new java.util.ArrayList<>();
        long until = sweepsCompleted() + sweeps;
        while (sweepsCompleted() < until) {
            String st = io.fabric8.kubernetes.client.utils.Serialization.asJson(get(ns, "abc").getStatus());
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(st)) {
                seen.add(st);
            }
            Thread.sleep(100);
        }
        java.nio.file.Files.writeString(java.nio.file.Path.of("target/attack21-" + ns + ".txt"), String.join("\n", seen));
        List<io.fabric8.mockwebserver.http.RecordedRequest> drained = drainRequests(testServer);
        List<String> writes = new java.util.ArrayList<>(drained.stream()
                .filter(r -> r.getHeader("User-Agent") != null && r.getHeader("User-Agent").startsWith(ApiRequests.OPERATOR_AGENT))
                .filter(r -> !"GET".equals(r.getMethod()) && r.getPath().contains("/namespaces/" + ns + "/"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList());
        events(ns, "abc").stream().skip(eventsBefore).forEach(e -> writes.add("event " + e.getReason() + ": " + e.getMessage()));
        return writes;
    }

    @Test
    void aPausedClientInSteadyStateWritesNothingPerSweep() throws Exception {
        String ns = "atk-steady-pause";
        MaiClient mc = Clients.with(Clients.maiClient(ns, "abc", "Steady Co", "10"), s -> s.setLimitReset("monthly"));
        mc.getMetadata().setAnnotations(new HashMap<>(Map.of("mai.dev/paused", "true")));
        create(mc);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "Paused"))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));
        assertThat(writesOver(ns, 4)).filteredOn(w -> w.contains("/maiclients/abc") || w.startsWith("event"))
                .as("a paused new client").isEmpty();
    }

    @Test
    void aClientHeldAtACapWritesNothingPerSweep() throws Exception {
        String ns = "atk-steady-cap";
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        create(Clients.with(Clients.maiClient(ns, "abc", "Held Co", "100"), s -> s.setLimitReset("monthly")));
        MaiClient ready = awaitReady(ns, "abc");
        OpenRouterSimulator.Key key = keysOf(ready).get(0);
        client.namespaces().withName(ns).edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("mai.dev/max-spending-limit", "50").endMetadata().build());
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(key.limit).isEqualByComparingTo("50"));
        simulator().spend(key.hash, new BigDecimal("48.00"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "BudgetLow"))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));
        assertThat(writesOver(ns, 4)).as("held at the cap with BudgetLow=True").isEmpty();
        assertThat(events(ns, "abc")).filteredOn(e -> "BudgetLow".equals(e.getReason())).hasSize(2);
    }

    @Test
    void pausedDuringARotationsOverlapTheBrakeReachesTheOldKeyTheAppStillUses() {
        String ns = "atk-pause-brake";
        MaiClient mc = readyWithApp(ns);
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        OpenRouterSimulator.Key fresh = rotatedAndPaused(ns, mc, old);

        edit(ns, "abc", m -> m.getSpec().setDisableKey(true));
        await().atMost(PATIENCE).until(() -> fresh.disabled);
        awaitCompleteSweeps(3);
        assertThat(old.deleted).isFalse();
        assertThat(old.disabled).as("spec.disableKey while paused: the old key, which the app's pods still run, is disabled too")
                .isTrue();
    }

    @Test
    void pausedDuringARotationsOverlapALoweredLimitReachesTheOldKey() {
        String ns = "atk-pause-lower";
        MaiClient mc = readyWithApp(ns);
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        OpenRouterSimulator.Key fresh = rotatedAndPaused(ns, mc, old);

        edit(ns, "abc", m -> m.getSpec().setSpendingLimit(new IntOrString("40")));
        awaitCompleteSweeps(4);
        assertThat(spendable(old).add(spendable(fresh))).as("what both keys can still spend after the limit went down to 40 "
                + "with 30 spent (old key limit %s disabled %s, new key limit %s disabled %s)", old.limit, old.disabled,
                fresh.limit, fresh.disabled).isLessThanOrEqualTo(BigDecimal.TEN);
    }

    @Test
    void pausedDuringARotationsOverlapALoweredNamespaceCapReachesTheOldKey() {
        String ns = "atk-pause-cap";
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        MaiClient mc = readyWithApp(ns);
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        OpenRouterSimulator.Key fresh = rotatedAndPaused(ns, mc, old);

        client.namespaces().withName(ns).edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("mai.dev/max-spending-limit", "40").endMetadata().build());
        awaitCompleteSweeps(4);
        assertThat(spendable(old).add(spendable(fresh))).as("what both keys can still spend under a cap of 40 with 30 spent "
                + "(old key limit %s disabled %s, new key limit %s disabled %s)", old.limit, old.disabled, fresh.limit,
                fresh.disabled).isLessThanOrEqualTo(BigDecimal.TEN);
    }

    @Test
    void aMalformedCapLabelStillLetsSpecDisableKeyThrough() {
        String ns = "atk-odd-brake";
        client.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        create(Clients.maiClient(ns, "abc", "Odd Brake Co", "10"));
        MaiClient ready = awaitReady(ns, "abc");
        OpenRouterSimulator.Key key = keysOf(ready).get(0);

        // an administrator's typo on the namespace (e.g. "50usd"; a label value cannot hold a space)
        client.namespaces().withName(ns).edit(n -> new NamespaceBuilder(n).editMetadata()
                .withLabels(new HashMap<>(Map.of("mai.dev/max-spending-limit", "50usd"))).endMetadata().build());
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "Ready"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("InvalidSpec")));

        // the tenant pulls the billing brake (the shipped policy lets this UPDATE through: the limit is unchanged)
        edit(ns, "abc", m -> m.getSpec().setDisableKey(true));
        awaitCompleteSweeps(3);
        assertThat(key.disabled).as("spec.disableKey: true under a malformed cap label").isTrue();
    }

    @Test
    void aResetRemovedWhilePausedStillEndsTheMonthlyRefill() {
        String ns = "atk-pause-reset";
        MaiClient mc = Clients.with(Clients.maiClient(ns, "abc", "Refill Co", "10"), s -> s.setLimitReset("monthly"));
        mc.getMetadata().setAnnotations(new HashMap<>());
        create(mc);
        OpenRouterSimulator.Key key = keysOf(awaitReady(ns, "abc")).get(0);
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/paused", "true"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "Paused"))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True")));

        // the spec now allows 10 USD for the key's whole life, not 10 USD every month
        edit(ns, "abc", m -> m.getSpec().setLimitReset(null));
        awaitCompleteSweeps(3);
        assertThat(key.limitReset).as("the key's reset while paused, after the spec removed it").isNull();
    }
}
