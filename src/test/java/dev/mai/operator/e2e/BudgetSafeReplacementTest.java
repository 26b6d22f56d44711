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
import dev.mai.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A replaced key must not hand out fresh budget: a client that spent 60 of
 * its monthly 100 and lost its key — Secret deleted, or key deleted on OpenRouter — gets a new key
 * limited to the 40 left, and its status goes on counting the 60. No request ever carries a limit
 * of 0: a key that must not spend is disabled, and a key that would start with nothing is not
 * created until the period resets — judged on the operator's clock and OpenRouter's (its Date).
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class BudgetSafeReplacementTest extends OperatorHarness {

    /** A JSON limit of zero or below, in any spelling a serializer may choose. */
    private static final Pattern NO_BUDGET_LIMIT = Pattern.compile("\"limit\"\\s*:\\s*(-|0(\\.0*)?\\s*[,}])");

    @Inject
    TestClock clock;

    @AfterEach
    void resetClocks() {
        clock.reset();
        simulator().dateSkew(Duration.ZERO);
    }

    /** Moves the operator's clock and OpenRouter's (the simulator's Date) to {@code at} together. */
    private void moveClocks(Instant at) {
        clock.set(at);
        simulator().dateSkew(clock.offset());
    }

    private long creates(MaiClient mc) {
        return simulator().count(r -> r.operation().equals("POST /keys") && r.body().contains(mc.getMetadata().getUid()));
    }

    private void assertNoLimitOfZeroWasSent() {
        assertThat(simulator().requestBodies()).as("request bodies with a limit of 0 or below")
                .noneMatch(b -> NO_BUDGET_LIMIT.matcher(b).find());
    }

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
    void anOldCopyOfTheSecretPutBackFreezesAndSettlesTheCurrentKeyBeforeItIsRevoked() {
        String ns = "b-oldcopy";
        MaiClient mc = Clients.with(Clients.maiClient(ns, "abc", "Budget Safe Co", "100"), s -> s.setLimitReset("monthly"));
        mc.getMetadata().setAnnotations(new java.util.HashMap<>());
        create(mc);
        OpenRouterSimulator.Key first = keysOf(awaitReady(ns, "abc")).get(0);
        Secret oldCopy = secret(ns, "abc-env");
        clock.advance(Duration.ofMinutes(6));
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "1"));
        await().atMost(PATIENCE).until(() -> first.deleted);
        OpenRouterSimulator.Key current = keysOf(awaitReady(ns, "abc")).get(0);
        simulator().spend(current.hash, new BigDecimal("60"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage()).isEqualTo("60.00"));
        simulator().clearRequests();

        // someone puts back the Secret as it was before the rotation (a backup, an old manifest): the current key
        // may have been copied out meanwhile, so it is replaced; what it spent stays spent
        client.secrets().inNamespace(ns).withName("abc-env").edit(s -> new SecretBuilder(s)
                .withData(oldCopy.getData())
                .editMetadata().withAnnotations(oldCopy.getMetadata().getAnnotations()).endMetadata()
                .build());
        assertReplacedWithWhatWasLeft(ns, current);
        assertThat(current.limit.compareTo(new BigDecimal("60")) <= 0 || current.disabled)
                .as("the replaced key was frozen at its spend before it was deleted (limit %s, disabled %s)", current.limit, current.disabled)
                .isTrue();
        var requests = simulator().requests();
        int frozen = -1;
        int deleted = -1;
        for (int i = 0; i < requests.size(); i++) {
            var r = requests.get(i);
            if (r.path().endsWith(current.hash) && r.method().equals("PATCH") && frozen < 0) {
                frozen = i;
            }
            if (r.path().endsWith(current.hash) && r.method().equals("DELETE")) {
                deleted = i;
            }
        }
        assertThat(frozen).as("a PATCH freezing the replaced key").isNotNegative();
        assertThat(deleted).as("its DELETE, after the freeze").isGreaterThan(frozen);
        assertThat(first.deleted).as("the key of the old copy stays deleted").isTrue();
    }

    @Test
    void aRotationThatWouldLeaveNothingToSpendShowsThatItWaitsForTheReset() {
        String ns = "b-rotate-spent";
        moveClocks(Instant.parse("2026-12-15T12:00:00Z"));
        MaiClient mc = Clients.with(Clients.maiClient(ns, "abc", "Spent Co", "100"), s -> s.setLimitReset("monthly"));
        mc.getMetadata().setAnnotations(new java.util.HashMap<>());
        create(mc);
        OpenRouterSimulator.Key key = keysOf(awaitReady(ns, "abc")).get(0);
        simulator().spend(key.hash, new BigDecimal("100"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage()).isEqualTo("100.00"));
        moveClocks(Instant.parse("2026-12-15T12:10:00Z")); // past the 5-minute spacing of asked-for rotations
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "1"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            var status = get(ns, "abc").getStatus();
            assertThat(status.getNextRotationAt()).as("when the rotation will run").isEqualTo(status.getNextLimitResetAt()).isNotNull();
            assertThat(condition(get(ns, "abc"), "Rotating")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getMessage()).contains("waits for the limit reset at " + status.getNextLimitResetAt());
            });
        });
        awaitCompleteSweeps(2);
        assertThat(creates(get(ns, "abc"))).as("no key with nothing to spend").isEqualTo(1);
        assertThat(key.deleted).isFalse();
    }

    @Test
    void aReplacedKeyWaitingForAConsumerIsCountedOnceNotTwice() {
        String ns = "b-twice";
        MaiClient mc = Clients.with(Clients.maiClient(ns, "abc", "Twice Co", "100"), s -> s.setLimitReset("monthly"));
        // a rollout target not there (yet): the replaced key waits for it, up to the rotation grace
        mc.getSpec().setRolloutTargets(java.util.List.of(new dev.mai.operator.api.v1alpha1.RolloutTarget("Deployment", "web")));
        create(mc);
        OpenRouterSimulator.Key first = keysOf(awaitReady(ns, "abc")).get(0);
        simulator().spend(first.hash, new BigDecimal("60"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage()).isEqualTo("60.00"));
        simulator().clearRequests();
        client.secrets().inNamespace(ns).withName("abc-env").delete();
        await().atMost(PATIENCE).until(() -> get(ns, "abc").getStatus().getKeyHash() != null
                && !get(ns, "abc").getStatus().getKeyHash().equals(first.hash));
        String current = get(ns, "abc").getStatus().getKeyHash();
        awaitCompleteSweeps(3);
        OpenRouterSimulator.Key fresh = simulator().key(current).orElseThrow();
        assertThat(fresh.limit).as("100 less the 60 carried, once").isEqualByComparingTo("40");
        assertThat(fresh.disabled).isFalse();
        assertThat(simulator().requests()).as("the new key is never disabled")
                .noneMatch(r -> r.path().endsWith(current) && r.body().contains("\"disabled\":true"));
        assertThat(simulator().requests()).filteredOn(r -> r.method().equals("PATCH") && r.path().endsWith(first.hash))
                .as("the replaced key: frozen once, not clamped again on every reconcile").hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void aKeyDeletedOnOpenRouterDoesNotHandOutFreshBudget() {
        OpenRouterSimulator.Key old = spent60("b-revoked");
        simulator().deleteOutside(old.hash);
        assertReplacedWithWhatWasLeft("b-revoked", old);
    }

    @Test
    void aFrozenKeyThatSpentNothingIsDisabledNeverLimitedToZero() {
        String ns = "b-nothing-spent";
        create(Clients.with(Clients.maiClient(ns, "abc", "Nothing Spent Co", "100"), s -> s.setLimitReset("monthly")));
        MaiClient mc = awaitReady(ns, "abc");
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        client.secrets().inNamespace(ns).withName("abc-env").delete();
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(get(ns, "abc").getStatus().getKeyHash()).isNotEqualTo(old.hash);
            assertThat(old.deleted).isTrue();
        });
        assertThat(old.disabled).as("frozen with nothing spent: disabled instead of a limit of 0").isTrue();
        assertThat(simulator().requests()).filteredOn(r -> r.method().equals("PATCH") && r.path().endsWith(old.hash))
                .extracting(OpenRouterSimulator.Request::body).containsExactly("{\"disabled\":true}");
        MaiClient after = awaitReady(ns, "abc");
        assertThat(keysOf(after)).singleElement().satisfies(k -> assertThat(k.limit).isEqualByComparingTo("100"));
        assertNoLimitOfZeroWasSent();
    }

    @Test
    void aReplacementWithThePeriodsBudgetUsedUpCreatesNothingUntilTheReset() {
        String ns = "b-used-up";
        moveClocks(Instant.parse("2026-12-15T12:00:00Z"));
        create(Clients.with(Clients.maiClient(ns, "abc", "Used Up Co", "100"), s -> s.setLimitReset("monthly")));
        MaiClient mc = awaitReady(ns, "abc");
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        simulator().spend(old.hash, new BigDecimal("100"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage()).isEqualTo("100.00"));

        client.secrets().inNamespace(ns).withName("abc-env").delete();
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient now = get(ns, "abc");
            assertThat(condition(now, "KeyValid")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("LimitExhausted");
                assertThat(c.getMessage()).contains("2027-01-01T00:00:00Z");
            });
            assertThat(condition(now, "Ready")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("LimitExhausted");
            });
            assertThat(old.disabled).as("the old key spent all of its limit: disabled, not left to its next period").isTrue();
            assertThat(condition(now, "SecretSynced")).as("no key, so no Secret with one").hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("LimitExhausted");
                assertThat(c.getMessage()).contains("holds no usable key").contains("raise spec.spendingLimit");
            });
        });
        awaitCompleteSweeps(3);
        assertThat(creates(mc)).as("no key with nothing to spend").isEqualTo(1);
        assertThat(keysOf(mc)).extracting(k -> k.hash).containsExactly(old.hash);
        assertThat(get(ns, "abc").getStatus().getPendingRevocations()).singleElement()
                .satisfies(p -> assertThat(p.getDisabledByOperator()).isTrue());
        assertNoLimitOfZeroWasSent();

        // the new month on both clocks, past the margin: OpenRouter's period usage starts again, and the
        // key is created with the full limit
        simulator().newPeriod();
        moveClocks(Instant.parse("2027-01-01T00:06:00Z"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(old.deleted).isTrue();
            assertThat(keysOf(mc)).singleElement().satisfies(k -> assertThat(k.limit).isEqualByComparingTo("100"));
        });
        MaiClient after = awaitReady(ns, "abc");
        assertThat(creates(after)).isEqualTo(2);
        assertThat(after.getStatus().getCarriedUsageInPeriod()).isNull();
        assertNoLimitOfZeroWasSent();
    }

    @Test
    void theOperatorsClockAheadOfOpenRoutersAcrossAMonthBoundaryKeepsTheCarriedSpend() {
        String ns = "b-clocks";
        moveClocks(Instant.parse("2026-12-15T12:00:00Z"));
        OpenRouterSimulator.Key old = spent60(ns);
        client.secrets().inNamespace(ns).withName("abc-env").delete();
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(old.deleted).isTrue();
            assertThat(keysOf(get(ns, "abc"))).singleElement().satisfies(k -> assertThat(k.limit).isEqualByComparingTo("40"));
        });
        OpenRouterSimulator.Key fresh = keysOf(get(ns, "abc")).get(0);

        // the operator's clock jumps into January; OpenRouter's is still in December
        clock.set(Instant.parse("2027-01-01T00:10:00Z"));
        simulator().dateSkew(Duration.between(Instant.now(), Instant.parse("2026-12-31T23:50:00Z")));
        awaitCompleteSweeps(3);
        assertThat(fresh.limit).as("the carried 60 still counts").isEqualByComparingTo("40");
        assertThat(get(ns, "abc").getStatus().getCarriedUsageInPeriod()).isEqualTo("60.00");

        // OpenRouter's clock passes the boundary plus the margin too: its period usage starts again, and
        // the full limit returns
        simulator().newPeriod();
        simulator().dateSkew(clock.offset());
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(fresh.limit).isEqualByComparingTo("100");
            assertThat(get(ns, "abc").getStatus().getCarriedUsageInPeriod()).isNull();
        });
        assertNoLimitOfZeroWasSent();
    }
}
