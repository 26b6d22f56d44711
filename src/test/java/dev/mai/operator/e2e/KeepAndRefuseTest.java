package dev.mai.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import dev.mai.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What must be kept stays kept, and what the API server refuses ends in status: a retained Secret
 * never carries an owner reference (no garbage collector can take the only copy of a kept key), a
 * refused Secret or app object is reported with what the server said and costs at most one key, an
 * old Secret after a rename never keeps a live copy, a skipped rollout target is not taken for
 * rolled out, and a requested rotation shows when it will run.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class KeepAndRefuseTest extends OperatorHarness {

    @Inject
    TestClock clock;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private MaiClient client(String namespace, String policy) {
        MaiClient mc = Clients.maiClient(namespace, "abc", "Keep Co", "10");
        mc.getMetadata().setAnnotations(new HashMap<>());
        mc.getSpec().setDeletionPolicy(policy);
        return mc;
    }

    @Test
    void aRetainedSecretNeverCarriesAnOwnerReferenceAndSurvivesAForegroundDeletion() {
        String ns = "keep-fg";
        List<Secret> seen = new CopyOnWriteArrayList<>();
        try (Watch watch = client.secrets().inNamespace(ns).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Secret secret) {
                seen.add(secret);
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            create(client(ns, "Retain"));
            MaiClient ready = awaitReady(ns, "abc");
            OpenRouterSimulator.Key first = keysOf(ready).get(0);
            clock.advance(Duration.ofMinutes(6));
            edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "1"));
            await().atMost(PATIENCE).until(() -> first.deleted);
            awaitReady(ns, "abc");

            client.resources(MaiClient.class).inNamespace(ns).withName("abc")
                    .withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
            await().atMost(PATIENCE).until(() -> get(ns, "abc") == null);
        }
        assertThat(seen).as("every version of the Secret the API server sent").isNotEmpty()
                .allSatisfy(s -> assertThat(s.getMetadata().getOwnerReferences()).isNullOrEmpty());
        Secret kept = secret(ns, "abc-env");
        String key = data(kept, "OPENROUTER_API_KEY");
        assertThat(simulator().liveKeys()).filteredOn(k -> k.secret.equals(key)).singleElement()
                .satisfies(k -> assertThat(k.name).endsWith(":retained]"));
    }

    @Test
    void switchingThePolicyEitherWayMovesTheOwnershipAndARetainedClientWritesNothingAtRest() {
        String ns = "keep-switch";
        create(client(ns, "Delete"));
        awaitReady(ns, "abc");
        assertThat(secret(ns, "abc-env").getMetadata().getOwnerReferences()).hasSize(1);

        edit(ns, "abc", m -> m.getSpec().setDeletionPolicy("Retain"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            Secret s = secret(ns, "abc-env");
            assertThat(s.getMetadata().getOwnerReferences()).isNullOrEmpty();
            assertThat(s.getMetadata().getAnnotations()).containsEntry("mai.dev/client-uid", get(ns, "abc").getMetadata().getUid());
        });
        awaitReady(ns, "abc");
        String version = secret(ns, "abc-env").getMetadata().getResourceVersion();
        String clientVersion = get(ns, "abc").getMetadata().getResourceVersion();
        long writes = simulator().count(OpenRouterSimulator.Request::isWrite);
        awaitCompleteSweeps(3); // and the reconciles they cause
        assertThat(secret(ns, "abc-env").getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(get(ns, "abc").getMetadata().getResourceVersion()).isEqualTo(clientVersion);
        assertThat(simulator().count(OpenRouterSimulator.Request::isWrite)).isEqualTo(writes);

        edit(ns, "abc", m -> m.getSpec().setDeletionPolicy("Delete"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            Secret s = secret(ns, "abc-env");
            assertThat(s.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getUid()).isEqualTo(get(ns, "abc").getMetadata().getUid()));
            assertThat(s.getMetadata().getAnnotations()).doesNotContainKey("mai.dev/client-uid");
        });
    }

    @Test
    void aSecretTheApiServerRefusesIsReportedAndCostsAtMostOneKey() {
        String ns = "keep-refused";
        testServer.expect().post().withPath("/api/v1/namespaces/" + ns + "/secrets")
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden")
                        .withMessage("secrets \"abc-env\" is forbidden: exceeded quota: secrets, requested: count/secrets=1")
                        .build())
                .always();
        long creates = simulator().count("POST /keys");
        create(client(ns, "Delete"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "SecretSynced")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("SecretWriteFailed");
            assertThat(c.getMessage()).contains("exceeded quota").contains("HTTP 403");
        }));
        // people poke it: every poke is a reconcile, none may make and delete another key
        for (int i = 0; i < 5; i++) {
            int n = i;
            edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("poke", String.valueOf(n)));
            edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "poke-" + n));
        }
        awaitCompleteSweeps(2);
        assertThat(simulator().count("POST /keys") - creates).as("keys made for a Secret the server refuses").isLessThanOrEqualTo(1);
        assertThat(keysOf(get(ns, "abc"))).as("no key kept without a Secret").isEmpty();
        assertThat(condition(get(ns, "abc"), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
    }

    @Test
    void anAppDeploymentNameTakenByAnotherWorkloadIsReportedNotLeftProgressing() {
        String ns = "keep-app";
        client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder()
                .withNewMetadata().withName("abc-app").withNamespace(ns).endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels("app", "other").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "other").endMetadata()
                .withNewSpec().addNewContainer().withName("x").withImage("other:1").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        create(ClientAppTest.withApp(ns, "abc", null));
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get(ns, "abc");
            assertThat(condition(mc, "AppReady")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("AppRejected");
                assertThat(c.getMessage()).contains("Deployment").contains("HTTP 409");
            });
            assertThat(condition(mc, "SecretSynced")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        });
        assertThat(client.apps().deployments().inNamespace(ns).withName("abc-app").get().getSpec().getTemplate().getSpec()
                .getContainers().get(0).getImage()).as("the other workload is left as it was").isEqualTo("other:1");
    }

    @Test
    void aRenamedSecretLeavesNoLiveCopyOfTheKeyWhenTheFirstDeleteFails() {
        String ns = "keep-rename";
        create(client(ns, "Delete"));
        awaitReady(ns, "abc");
        testServer.expect().delete().withPath("/api/v1/namespaces/" + ns + "/secrets/abc-env")
                // not a 5xx: the client retries those by itself; a refusal ends the reconcile between the two writes
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden").withMessage("denied once").build()).once();
        edit(ns, "abc", m -> m.getSpec().setSecret(Clients.secret("abc-moved", null, null)));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(secret(ns, "abc-moved")).isNotNull();
            assertThat(secret(ns, "abc-env")).as("the old Secret with its copy of the key").isNull();
        });
        awaitReady(ns, "abc");
    }

    @Test
    void aRolloutTargetThatIsMissingIsNotTakenForRolledOut() {
        String ns = "keep-target";
        MaiClient mc = client(ns, "Delete");
        mc.getSpec().setRolloutTargets(List.of(new RolloutTarget("Deployment", "web")));
        create(mc);
        MaiClient ready = awaitReady(ns, "abc");
        OpenRouterSimulator.Key old = keysOf(ready).get(0);
        clock.advance(Duration.ofMinutes(6));
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "1"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getPendingRevocations())
                .extracting(p -> p.getHash()).containsExactly(old.hash));
        awaitCompleteSweeps(3); // past the rotation grace (6 s in tests): a forced revocation would have happened
        assertThat(old.deleted).as("the old key waits for web, which never rolled out the new one").isFalse();
    }

    @Test
    void aRequestedRotationWaitingForItsSpacingShowsWhenItWillRun() {
        String ns = "keep-when";
        create(client(ns, "Delete"));
        MaiClient ready = awaitReady(ns, "abc");
        Instant created = Instant.parse(ready.getStatus().getKeyCreatedAt());
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "soon"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(get(ns, "abc").getStatus().getNextRotationAt())
                .isEqualTo(created.plus(Duration.ofMinutes(5)).toString()));
    }
}
