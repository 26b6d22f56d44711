package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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
    void aRetainedKeyWhoseSecretIsGoneIsDeletedNotLeftLiveAndUnheld() {
        String ns = "keep-gone";
        create(client(ns, "Retain"));
        OpenRouterSimulator.Key key = keysOf(awaitReady(ns, "abc")).get(0);
        // the API server no longer has the Secret when the finalizer runs (a garbage collector took it)
        testServer.expect().get().withPath("/api/v1/namespaces/" + ns + "/secrets/abc-env")
                .andReturn(404, new StatusBuilder().withStatus("Failure").withCode(404).withReason("NotFound")
                        .withMessage("secrets \"abc-env\" not found").build())
                .always();
        client.resources(MaiClient.class).inNamespace(ns).withName("abc").delete();
        await().atMost(PATIENCE).until(() -> get(ns, "abc") == null);
        assertThat(key.deleted).as("a retained key nobody holds is deleted").isTrue();
        assertThat(key.name).doesNotEndWith(":retained]");
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

    /** How API servers refuse a Secret: a quota, the schema, a webhook, a ValidatingAdmissionPolicy. */
    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("refused-quota", 403, "Forbidden",
                        "secrets \"abc-env\" is forbidden: exceeded quota: secrets, requested: count/secrets=1"),
                Arguments.of("refused-invalid", 422, "Invalid",
                        "Secret \"abc-env\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"),
                Arguments.of("refused-webhook", 400, "BadRequest",
                        "admission webhook \"secrets.policy.example\" denied the request: Secrets need label team"),
                Arguments.of("refused-policy", 403, "Forbidden",
                        "secrets \"abc-env\" is forbidden: ValidatingAdmissionPolicy 'no-env-secrets' with binding "
                                + "'no-env-secrets' denied request: failed expression: object.type != 'Opaque'"));
    }

    /** The API server refuses the Secret as the dry run and as the write. */
    private void refuseSecrets(String ns, int code, String reason, String message) {
        for (String path : List.of("/api/v1/namespaces/" + ns + "/secrets?dryRun=All", "/api/v1/namespaces/" + ns + "/secrets")) {
            testServer.expect().post().withPath(path)
                    .andReturn(code, new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message).build())
                    .always();
        }
    }

    @ParameterizedTest(name = "{0}: HTTP {1}")
    @MethodSource("refusals")
    void aSecretTheApiServerRefusesIsReportedAndNoKeyIsMadeForIt(String ns, int code, String reason, String message) {
        refuseSecrets(ns, code, reason, message);
        long creates = simulator().count("POST /keys");
        create(client(ns, "Delete"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "SecretSynced")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("SecretWriteFailed");
            assertThat(c.getMessage()).contains(message).contains("HTTP " + code);
        }));
        // people poke it: every poke is a reconcile, none may make a key the Secret cannot hold
        for (int i = 0; i < 5; i++) {
            int n = i;
            edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("poke", String.valueOf(n)));
            edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "poke-" + n));
        }
        awaitCompleteSweeps(2);
        assertThat(simulator().count("POST /keys") - creates).as("keys made for a Secret the server refuses as a dry run").isZero();
        assertThat(keysOf(get(ns, "abc"))).as("no key kept without a Secret").isEmpty();
        assertThat(get(ns, "abc").getStatus().getKeyCreationStartedAt()).as("no create left unfinished").isNull();
        assertThat(condition(get(ns, "abc"), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        assertThat(client.secrets().inNamespace(ns).list().getItems()).as("nothing stored by the dry runs").isEmpty();
    }

    @Test
    void aSecretRefusedOnlyWhenWrittenCostsOneKeyWhichIsDeletedAgain() {
        // a webhook that cannot take dry runs (sideEffects not None): the dry run says nothing, the write is refused
        String ns = "refused-late";
        testServer.expect().post().withPath("/api/v1/namespaces/" + ns + "/secrets?dryRun=All")
                .andReturn(400, new StatusBuilder().withStatus("Failure").withCode(400).withReason("BadRequest")
                        .withMessage("admission webhook \"audit.example\" does not support dry run").build())
                .always();
        testServer.expect().post().withPath("/api/v1/namespaces/" + ns + "/secrets")
                .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                        .withMessage("admission webhook \"audit.example\" denied the request: not today").build())
                .always();
        create(client(ns, "Delete"));
        String uid = get(ns, "abc").getMetadata().getUid();
        // this client's creates only: the clock moves below, and other classes' clients wake up with it
        java.util.function.LongSupplier made = () -> simulator().count(r -> r.operation().equals("POST /keys") && r.body().contains(uid));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "SecretSynced")).hasValueSatisfying(c -> {
            assertThat(c.getReason()).isEqualTo("SecretWriteFailed");
            assertThat(c.getMessage()).contains("not today").contains("HTTP 403").doesNotContain("dry run");
        }));
        // reconciles (a requested rotation starts one) within the slow retry make no key; after it, one more
        for (int round = 1; round <= 3; round++) {
            for (int i = 0; i < 3; i++) {
                String value = round + "-" + i;
                edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", value));
            }
            awaitCompleteSweeps(2);
            assertThat(made.getAsLong()).as("keys made for a Secret refused only when written, round " + round)
                    .isEqualTo(round);
            assertThat(simulator().liveKeys()).as("the key made for it is deleted again")
                    .noneMatch(k -> k.name.contains(uid));
            clock.advance(Duration.ofMinutes(4)); // 4 minutes, then 8: the slow retry counts from the last refusal
            String late = "late-" + round;
            edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", late));
            awaitCompleteSweeps(2);
            assertThat(made.getAsLong()).as("none within 5 minutes of the last refusal").isEqualTo(round);
            clock.advance(Duration.ofMinutes(2));
        }
    }

    @Test
    void aRefusedSecretIsTriedAgainWhenTheSpecChangesNotOnEveryReconcile() {
        String ns = "refused-once";
        testServer.expect().post().withPath("/api/v1/namespaces/" + ns + "/secrets?dryRun=All")
                .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                        .withMessage("secrets \"abc-env\" is forbidden: exceeded quota: secrets").build())
                .once();
        long creates = simulator().count("POST /keys");
        create(client(ns, "Delete"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "SecretSynced"))
                .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("SecretWriteFailed")));
        // the quota is raised; a requested rotation (which reconciles) does not make the operator try again at once
        edit(ns, "abc", m -> m.getMetadata().getAnnotations().put("mai.dev/rotate", "now"));
        awaitCompleteSweeps(2);
        assertThat(condition(get(ns, "abc"), "SecretSynced")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("SecretWriteFailed"));
        assertThat(simulator().count("POST /keys") - creates).as("no key before a retry").isZero();
        // a spec change is tried at once (the slow retry, 5 minutes, is JOSDK's timer, not the test clock)
        edit(ns, "abc", m -> m.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("12")));
        MaiClient ready = awaitReady(ns, "abc");
        assertThat(keysOf(ready)).singleElement().satisfies(k ->
                assertThat(data(secret(ns, "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret));
        assertThat(simulator().count("POST /keys") - creates).isEqualTo(1);
    }

    /** How API servers refuse an app object: the schema, a quota, a policy. */
    static Stream<Arguments> appRefusals() {
        return Stream.of(
                Arguments.of("app-invalid", "/apis/apps/v1/namespaces/app-invalid/deployments", "Deployment", 422, "Invalid",
                        "Deployment.apps \"abc-app\" is invalid: spec.template.spec.containers[0].resources.limits: "
                                + "Invalid value: \"9\": must be less than or equal to cpu limit"),
                Arguments.of("app-quota", "/api/v1/namespaces/app-quota/services", "Service", 403, "Forbidden",
                        "services \"abc-app\" is forbidden: exceeded quota: services, requested: services=1"),
                Arguments.of("app-policy", "/api/v1/namespaces/app-policy/persistentvolumeclaims", "PersistentVolumeClaim", 403,
                        "Forbidden", "persistentvolumeclaims \"abc-data\" is forbidden: ValidatingAdmissionPolicy "
                                + "'no-storage' with binding 'no-storage' denied request"));
    }

    @ParameterizedTest(name = "{2}: HTTP {3}")
    @MethodSource("appRefusals")
    void anAppObjectTheApiServerRefusesIsReportedAfterTheSecretAndStatus(String ns, String path, String kind, int code,
            String reason, String message) {
        testServer.expect().post().withPath(path)
                .andReturn(code, new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message).build())
                .always();
        long creates = simulator().count("POST /keys");
        create(ClientAppTest.withApp(ns, "abc", ClientAppTest.storage("1Gi")));
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient mc = get(ns, "abc");
            assertThat(condition(mc, "AppReady")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("AppRejected");
                assertThat(c.getMessage()).contains(kind + " refused by the API server (HTTP " + code + ")").contains(message);
            });
            assertThat(condition(mc, "SecretSynced")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(condition(mc, "KeyProvisioned")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
            assertThat(condition(mc, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        });
        // every reconcile meets the refusal again: none makes another key
        for (int i = 0; i < 3; i++) {
            int n = i;
            edit(ns, "abc", m -> m.getSpec().getApp().setEnv(List.of(new io.fabric8.kubernetes.api.model.EnvVar("POKE", "" + n, null))));
        }
        awaitCompleteSweeps(2);
        assertThat(simulator().count("POST /keys") - creates).as("keys made while an app object is refused").isEqualTo(1);
        MaiClient mc = get(ns, "abc");
        assertThat(keysOf(mc)).singleElement().satisfies(k ->
                assertThat(data(secret(ns, "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(k.secret));
        assertThat(condition(mc, "AppReady")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("AppRejected"));
        assertThat(events(ns, "abc")).filteredOn(e -> "AppRejected".equals(e.getReason())).as("one Warning, not one per reconcile")
                .singleElement().satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
    }

    @Test
    void aForeignSecretCreatedWhileTheKeyIsMadeLeavesNoKeyBehind() {
        String ns = "refused-race";
        simulator().createAnswerDelay(Duration.ofSeconds(2));
        try {
            create(client(ns, "Delete"));
            await().atMost(PATIENCE).until(() -> get(ns, "abc").getStatus() != null
                    && get(ns, "abc").getStatus().getKeyCreationStartedAt() != null);
            client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("abc-env")
                    .withNamespace(ns).endMetadata().addToData("mine", "eWVz").build()).create(); // "yes"
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "SecretSynced"))
                    .hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("SecretConflict")));
        } finally {
            simulator().createAnswerDelay(Duration.ZERO);
        }
        String uid = get(ns, "abc").getMetadata().getUid();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(simulator().liveKeys()).as("the key made meanwhile is deleted")
                .noneMatch(k -> k.name.contains(uid)));
        assertThat(simulator().count(r -> r.operation().equals("POST /keys") && r.body().contains(uid))).isEqualTo(1);
        assertThat(data(secret(ns, "abc-env"), "mine")).as("the other Secret is left alone").isEqualTo("yes");
    }

    @Test
    void aSecretUpdateTheApiServerRefusesKeepsTheKeyAndSaysSo() {
        String ns = "refused-update";
        create(client(ns, "Delete"));
        MaiClient ready = awaitReady(ns, "abc");
        OpenRouterSimulator.Key key = keysOf(ready).get(0);
        testServer.expect().put().withPath("/api/v1/namespaces/" + ns + "/secrets/abc-env")
                .andReturn(403, new StatusBuilder().withStatus("Failure").withCode(403).withReason("Forbidden")
                        // a policy that quotes the object it refuses: the key's bytes must not reach status or events
                        .withMessage("admission webhook \"secrets.policy.example\" denied the request: frozen; data."
                                + "OPENROUTER_API_KEY=" + secret(ns, "abc-env").getData().get("OPENROUTER_API_KEY") + " .env="
                                + secret(ns, "abc-env").getData().get(".env")).build())
                .always();
        long creates = simulator().count("POST /keys");
        edit(ns, "abc", m -> m.getSpec().setSpendingLimit(new io.fabric8.kubernetes.api.model.IntOrString("12")));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "abc"), "SecretSynced")).hasValueSatisfying(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("SecretWriteFailed");
            assertThat(c.getMessage()).contains("frozen").contains("The key is kept").doesNotContain("No new key")
                    .contains("data.OPENROUTER_API_KEY=***").doesNotContain(secret(ns, "abc-env").getData().get(".env"));
        }));
        awaitCompleteSweeps(2);
        assertThat(simulator().count("POST /keys") - creates).as("no key made for a Secret update").isZero();
        assertThat(key.deleted).isFalse();
        assertThat(data(secret(ns, "abc-env"), "OPENROUTER_API_KEY")).isEqualTo(key.secret);
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
