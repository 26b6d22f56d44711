package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.RotationSpec;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.Revisions;
import dev.mai.operator.testing.Rollouts;
import dev.mai.operator.testing.SimulatorResource;
import dev.mai.operator.testing.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Key rotation: new key, Secret, consumers roll, then the old key goes — never before every
 * consumer runs the new one (scheduled and requested rotations keep it and report RolloutStuck when
 * the rollout hangs). Budget-safe throughout: the old and the new key together can never spend more
 * than the period has left — the simulator holds every request to that (OperatorHarness). Time
 * comes from the operator's clock, which these tests move.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class KeyRotationTest extends OperatorHarness {

    @Inject
    TestClock clock;

    @AfterEach
    void resetClock() {
        clock.reset();
        simulator().dateSkew(Duration.ZERO);
    }

    private String secretHash(String namespace) {
        return data(secret(namespace, "abc-env"), "OPENROUTER_KEY_HASH");
    }

    private void requestRotation(String namespace, String value) {
        clock.advance(Duration.ofMinutes(6)); // a rotation may be asked for at most once per 5 minutes
        edit(namespace, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", value));
    }

    private MaiClient readyWithApp(String namespace, MaiClient spec) {
        spec.getMetadata().setAnnotations(new java.util.HashMap<>());
        create(spec);
        await().atMost(PATIENCE).until(() -> client().apps().deployments().inNamespace(namespace).withName("abc-app").get(),
                d -> d != null);
        Rollouts.markRolledOut(client(), namespace, "abc-app");
        return awaitReady(namespace, "abc");
    }

    @Test
    void aRequestedRotationRevokesTheOldKeyOnlyOnceTheAppRolledOut() {
        String ns = "rot-request";
        MaiClient mc = readyWithApp(ns, ClientAppTest.withApp(ns, "abc", null));
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        String firstRevision = Revisions.of(secret(ns, "abc-env"));

        requestRotation(ns, "1");
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(secretHash(ns)).isNotEqualTo(old.hash);
            MaiClient now = get(ns, "abc");
            assertThat(condition(now, "Rotating")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getReason()).isEqualTo("RotationInProgress");
            });
            assertThat(now.getStatus().getPendingRevocations()).extracting(p -> p.getHash()).containsExactly(old.hash);
        });
        OpenRouterSimulator.Key fresh = keysOf(mc).stream()
                .filter(k -> !k.hash.equals(old.hash)).findFirst().orElseThrow();
        assertThat(secretHash(ns)).isEqualTo(fresh.hash);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Revisions.ofDeployment(client(), ns, "abc-app"))
                .isNotNull().isNotEqualTo(firstRevision));
        // the app has not rolled out yet: the old key stays valid for its pods
        awaitCompleteSweeps(2);
        assertThat(old.deleted).isFalse();
        assertThat(old.disabled).isFalse();

        Rollouts.markRolledOut(client(), ns, "abc-app");
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(old.deleted).isTrue();
            MaiClient now = get(ns, "abc");
            assertThat(now.getStatus().getPendingRevocations()).isNullOrEmpty();
            assertThat(condition(now, "Rotating")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        });
        MaiClient after = awaitReady(ns, "abc");
        assertThat(keysOf(after)).extracting(k -> k.hash).containsExactly(fresh.hash);
        assertThat(after.getStatus().getRotationRequest()).isEqualTo("1");
        assertThat(events(ns, "abc")).extracting(e -> e.getReason()).contains("KeyRotated", "OldKeyRevoked");

        // held back: the old key survives and the stuck rollout is reported
        requestRotation(ns, "2");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(secretHash(ns)).isNotEqualTo(fresh.hash));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "Rotating"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo("True");
                    assertThat(c.getReason()).isEqualTo("RolloutStuck");
                    assertThat(c.getMessage()).contains("Deployment/abc-app");
                }));
        assertThat(events(ns, "abc")).filteredOn(e -> "RolloutStuck".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
        awaitCompleteSweeps(2);
        assertThat(fresh.deleted).as("a requested rotation never cuts off a consumer").isFalse();
        Rollouts.markRolledOut(client(), ns, "abc-app");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(fresh.deleted).isTrue());
        assertThat(keysOf(awaitReady(ns, "abc"))).hasSize(1);
    }

    @Test
    void theOldAndTheNewKeyNeverHoldMoreThanThePeriodHasLeft() {
        String ns = "rot-budget";
        clock.set(Instant.parse("2026-12-15T12:00:00Z"));
        MaiClient mc = readyWithApp(ns, Clients.with(ClientAppTest.withApp(ns, "abc", null), s -> s.setLimitReset("monthly")));
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        simulator().spend(old.hash, new BigDecimal("60"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage()).isEqualTo("60.00"));

        requestRotation(ns, "budget");
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(keysOf(mc)).hasSize(2);
            assertThat(secretHash(ns)).isNotEqualTo(old.hash);
        });
        OpenRouterSimulator.Key fresh = keysOf(mc).stream().filter(k -> !k.hash.equals(old.hash)).findFirst().orElseThrow();
        assertThat(old.limit.subtract(old.usageInPeriod).add(fresh.limit.subtract(fresh.usageInPeriod)))
                .isLessThanOrEqualTo(new BigDecimal("40"));
        // the application's pods still use the old key and spend with it; every request from here on
        // is held to the 100 by the simulator
        simulator().spend(old.hash, new BigDecimal("15"));

        // the app rolls out once it runs the new key's revision
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Revisions.ofDeployment(client(), ns, "abc-app"))
                .isEqualTo(Revisions.of(secret(ns, "abc-env"))));
        Rollouts.markRolledOut(client(), ns, "abc-app");
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(old.deleted).isTrue();
            assertThat(fresh.limit.subtract(fresh.usageInPeriod)).as("what was left: 100 - 60 - 15").isEqualByComparingTo("25");
            MaiClient now = get(ns, "abc");
            assertThat(now.getStatus().getUsage()).isEqualTo("75.00");
            assertThat(now.getStatus().getUsageInPeriod()).isEqualTo("75.00");
            assertThat(now.getStatus().getLimitRemaining()).isEqualTo("25.00");
        });

        // a new month on both clocks (the operator's and OpenRouter's Date), past the 5-minute margin:
        // OpenRouter resets the period usage, and the full limit returns
        clock.set(Instant.parse("2027-01-01T00:06:00Z"));
        simulator().dateSkew(clock.offset());
        simulator().newPeriod();
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(fresh.limit).isEqualByComparingTo("100");
            MaiClient now = get(ns, "abc");
            assertThat(now.getStatus().getLimitRemaining()).isEqualTo("100.00");
            assertThat(now.getStatus().getUsage()).isEqualTo("75.00");
            assertThat(now.getStatus().getNextLimitResetAt()).isEqualTo("2027-02-01T00:00:00Z");
        });
    }

    @Test
    void theBrakeAndALowerLimitDuringTheOverlapCoverTheOldKeyToo() {
        String ns = "rot-brake";
        MaiClient mc = readyWithApp(ns, ClientAppTest.withApp(ns, "abc", null));
        OpenRouterSimulator.Key old = keysOf(mc).get(0);
        simulator().spend(old.hash, new BigDecimal("30"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getUsage()).isEqualTo("30.00"));
        requestRotation(ns, "1");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(keysOf(mc)).hasSize(2));
        assertThat(old.limit).as("30 spent + half of the 70 left").isEqualByComparingTo("65");

        // the limit goes down to 40 while the app still runs the old key: the old key keeps only what it spent
        edit(ns, "abc", m -> m.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("40")));
        await().atMost(PATIENCE).untilAsserted(() -> {
            OpenRouterSimulator.Key fresh = keysOf(mc).stream().filter(k -> !k.hash.equals(old.hash)).findFirst().orElseThrow();
            assertThat(old.limit).isEqualByComparingTo("30");
            assertThat(fresh.limit).isEqualByComparingTo("10");
        });
        // the brake: both keys off
        edit(ns, "abc", m -> m.getSpec().setDisableKey(true));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(keysOf(mc)).allSatisfy(k -> assertThat(k.disabled).isTrue()));
        assertThat(old.deleted).isFalse();
    }

    @Test
    void aScheduledRotationHappensOnTime() {
        String ns = "rot-schedule";
        MaiClient mc = create(Clients.with(Clients.maiClient(ns, "abc", "Schedule Co", "50"), s -> {
            RotationSpec rotation = new RotationSpec();
            rotation.setEvery("1h");
            s.setRotation(rotation);
        }));
        MaiClient ready = awaitReady(ns, "abc");
        OpenRouterSimulator.Key first = keysOf(ready).get(0);
        Instant created = Instant.parse(ready.getStatus().getKeyCreatedAt());
        assertThat(ready.getStatus().getNextRotationAt()).isEqualTo(created.plus(Duration.ofHours(1)).toString());

        clock.advance(Duration.ofMinutes(58));
        awaitCompleteSweeps(3); // the operator looks, and does nothing yet
        assertThat(first.deleted).isFalse();
        assertThat(keysOf(get(ns, "abc"))).extracting(k -> k.hash).containsExactly(first.hash);

        clock.advance(Duration.ofMinutes(3));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(first.deleted).isTrue();
            MaiClient now = get(ns, "abc");
            assertThat(now.getStatus().getKeyHash()).isNotEqualTo(first.hash);
            assertThat(now.getStatus().getNextRotationAt())
                    .isEqualTo(Instant.parse(now.getStatus().getKeyCreatedAt()).plus(Duration.ofHours(1)).toString());
        });
        MaiClient after = awaitReady(ns, "abc");
        assertThat(keysOf(after)).hasSize(1);
        assertThat(Instant.parse(after.getStatus().getNextRotationAt())).isAfter(clock.instant().plus(Duration.ofMinutes(55)));
        assertThat(events(ns, "abc")).filteredOn(e -> "KeyRotated".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getMessage()).contains("spec.rotation.every 1h"));
    }

}
