package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import dev.mai.operator.testing.Rollouts;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RBAC for real: the packaged operator runs on a real kube-apiserver with a token of the
 * ServiceAccount {@code deploy/} creates, bound to nothing but {@code deploy/}'s roles (never the
 * admin certificate), and does its whole job — generates its installation id, elects itself leader on
 * its Lease, provisions a MaiClient to Ready with the simulator's key in its Secret, rotates the key on
 * request, sweeps, runs a client's application (Deployment, Service, claim) and marks its rollout
 * targets (a Deployment and a StatefulSet), deletes the application when spec.app goes, and on
 * deletion of a MaiClient deletes its key through the finalizer — without the API server refusing it
 * anything (no 403 or "forbidden" in its log or in a status). The same for
 * {@code deploy/overlays/namespaced}, whose Roles in two tenant namespaces replace the ClusterRole (but for
 * list and watch on Namespaces, which the spending caps' informer needs). And
 * the same check run with one verb the operator needs removed from the ClusterRole fails, naming what
 * was refused: the test of the test. The server runs the OwnerReferencesPermissionEnforcement
 * admission plugin ({@link RealApiServer}), which is what needs update on maiclients/finalizers.
 *
 * <p>Not proven here: the cascade of owner references (no garbage collector runs on this server; the
 * client's Secret stays after its MaiClient is gone and is removed by the test).
 */
class OperatorRbacIT {

    private static final Path WORK = Path.of("target/real-rbac");
    /** How old the test makes a key look, so that a rotation may be asked for at once (5-minute spacing). */
    private static final Duration KEY_AGE = Duration.ofMinutes(6);

    @Test
    void deploysRolesLetTheOperatorProvisionRotateSweepElectAndDelete() throws Exception {
        try (InstalledOperator installed = InstalledOperator.install("deploy", UnaryOperator.identity(), WORK.resolve("base"),
                List.of("rbac-base", "rbac-refused"))) {
            lifecycle(installed, "rbac-base", "rbac-base-0", openRouter -> refusedSecret(installed.admin(), openRouter));
        }
    }

    /**
     * The real API server's answer to a Secret an admission policy refuses: the operator's server-side
     * dry run meets the refusal before any key is made (SecretWriteFailed quoting the policy; no key on
     * OpenRouter, no Secret), on an API server that really runs admission for dry runs.
     */
    private static void refusedSecret(KubernetesClient admin, OpenRouterSimulator openRouter) {
        String ns = "rbac-refused";
        String policy = """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata: {name: no-mai-secrets}
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                    - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["secrets"]}
                  validations:
                  - expression: "!has(object.metadata.labels) || !('mai.dev/client' in object.metadata.labels)"
                    message: "no mai-operator Secrets in this namespace"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata: {name: no-mai-secrets}
                spec:
                  policyName: no-mai-secrets
                  validationActions: [Deny]
                  matchResources:
                    namespaceSelector:
                      matchLabels: {kubernetes.io/metadata.name: rbac-refused}
                """;
        admin.load(new java.io.ByteArrayInputStream(policy.getBytes(StandardCharsets.UTF_8))).create();
        // a policy is enforced a moment after it is stored: wait until a labelled Secret is refused
        Secret probe = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("probe").withNamespace(ns)
                .addToLabels("mai.dev/client", "probe").endMetadata().build();
        await().atMost(Duration.ofSeconds(30)).until(() -> catchThrowable(() -> admin.resource(probe).dryRun().create()) != null);
        try {
            MaiClient refused = admin.resource(Clients.maiClient(ns, "abc", "Refused Co", "10")).create();
            Resource<MaiClient> resource = admin.resources(MaiClient.class).inNamespace(ns).withName("abc");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(resource.get().getStatus()).isNotNull()
                    .satisfies(st -> assertThat(st.getConditions()).filteredOn(c -> c.getType().equals("SecretSynced")).singleElement()
                            .satisfies(c -> {
                                assertThat(c.getReason()).isEqualTo("SecretWriteFailed");
                                assertThat(c.getMessage()).contains("no mai-operator Secrets in this namespace").contains("HTTP 422");
                            })));
            String uid = refused.getMetadata().getUid();
            assertThat(openRouter.count(r -> r.operation().equals("POST /keys") && r.body().contains(uid)))
                    .as("keys made for a Secret the API server refuses").isZero();
            assertThat(admin.secrets().inNamespace(ns).list().getItems()).as("nothing stored by the dry run").isEmpty();
            resource.delete();
            await().atMost(Duration.ofSeconds(60)).until(() -> resource.get() == null);
        } finally {
            admin.load(new java.io.ByteArrayInputStream(policy.getBytes(StandardCharsets.UTF_8))).delete();
        }
    }

    @Test
    void theNamespacedOverlaysRolesSufficeInTheWatchedNamespacesAndNothingElseIsTouched() throws Exception {
        try (InstalledOperator installed = InstalledOperator.install("deploy/overlays/namespaced", UnaryOperator.identity(),
                WORK.resolve("namespaced"), List.of("tenant-abc", "tenant-obrien", "rbac-unwatched"))) {
            // the one cluster-wide grant: list and watch Namespaces, for the spending caps
            assertThat(installed.applied()).filteredOn(ClusterRole.class::isInstance).singleElement()
                    .satisfies(role -> assertThat(role.getMetadata().getName()).isEqualTo("mai-operator-namespaces"));
            MaiClient unwatched = installed.admin().resource(Clients.maiClient("rbac-unwatched", "abc", "Unwatched Co", "10")).create();
            lifecycle(installed, "tenant-obrien", "rbac-namespaced-0", openRouter -> {
                // counted sweeps and reconciles of the watched client have passed: the unwatched one was never looked at
                MaiClient now = installed.admin().resource(unwatched).get();
                assertThat(now.getStatus()).as("status of a MaiClient outside the watched namespaces").isNull();
                assertThat(now.getMetadata().getFinalizers()).isNullOrEmpty();
            });
        }
    }

    /**
     * The test of the test: the check above, with one verb the operator needs taken out of deploy/'s
     * ClusterRole (a rule left with no verb goes), fails and names what was refused. Patch on maiclients
     * (the finalizer and intent records) is needed before the first key; update on secrets only when a
     * rotation rewrites the Secret; update on maiclients/finalizers is what the admission plugin
     * OwnerReferencesPermissionEnforcement demands for the Secret's owner reference.
     */
    @ParameterizedTest(name = "without {1} on {0}")
    @CsvSource(delimiter = '|', value = {
            "maiclients           | patch  | User \"system:serviceaccount:mai-system:mai-operator\" cannot patch resource \"maiclients\"",
            "secrets              | update | User \"system:serviceaccount:mai-system:mai-operator\" cannot update resource \"secrets\"",
            "maiclients/finalizers| update | secrets \"abc-env\" is forbidden: cannot set blockOwnerDeletion"})
    void aClusterRoleWithoutOneVerbTheOperatorUsesFailsTheCheck(String resource, String verb, String refusal) throws Exception {
        UnaryOperator<List<HasMetadata>> withoutVerb = objects -> {
            for (HasMetadata o : objects) {
                if (o instanceof ClusterRole role) {
                    role.getRules().stream().filter(r -> r.getResources().equals(List.of(resource)))
                            .forEach(r -> r.setVerbs(new ArrayList<>(r.getVerbs().stream().filter(v -> !v.equals(verb)).toList())));
                    role.setRules(new ArrayList<>(role.getRules().stream().filter(r -> !r.getVerbs().isEmpty()).toList()));
                }
            }
            return objects;
        };
        String name = "rbac-without-" + verb + "-" + resource.replaceAll("[^a-z]", "");
        try (InstalledOperator installed = InstalledOperator.install("deploy", withoutVerb, WORK.resolve(name), List.of(name))) {
            ClusterRole role = installed.admin().rbac().clusterRoles().withName("mai-operator").get();
            assertThat(role.getRules()).filteredOn(r -> r.getResources().contains(resource))
                    .allSatisfy(r -> assertThat(r.getVerbs()).isNotEmpty().doesNotContain(verb));

            Throwable failure = catchThrowable(() -> lifecycle(installed, name, name + "-0", null));

            assertThat(failure).as("the RBAC check without %s on %s", verb, resource).isInstanceOf(Refused.class)
                    .hasMessageContaining("forbidden")
                    .hasMessageContaining(refusal);
        }
    }

    /**
     * The check: everything a user relies on happens under the ServiceAccount, and nothing the operator
     * asked was refused. {@code whileRunning} runs after the counted sweeps, before the deletion. A
     * refusal ends any wait at once with {@link Refused}, quoting it.
     */
    private static void lifecycle(InstalledOperator installed, String namespace, String pod,
            java.util.function.Consumer<OpenRouterSimulator> whileRunning) throws Exception {
        KubernetesClient admin = installed.admin();
        long t0 = System.nanoTime();
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                OperatorProcess operator = installed.start(openRouter, pod, Map.of(
                        "MAI_VALIDATION_INTERVAL", "1s",
                        "MAI_ROTATION_GRACE", "5s",
                        "QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"))) {
            MaiClient created = admin.resource(Clients.maiClient(namespace, "abc", "ABC Company Sp. z o.o.", "1000.0")).create();
            Resource<MaiClient> resource = admin.resources(MaiClient.class).inNamespace(namespace).withName("abc");

            // Ready, with the one key the simulator has for this MaiClient in its Secret
            awaitUnlessRefused(operator, resource, Duration.ofSeconds(90), () -> {
                MaiClient ready = resource.get();
                assertThat(ready.getStatus()).isNotNull();
                assertThat(ready.getStatus().getConditions()).filteredOn(c -> c.getType().equals("Ready")).singleElement()
                        .satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"));
                assertThat(Clients.isReady(ready)).isTrue();
                OpenRouterSimulator.Key key = ClientKeys.theOne(openRouter, created);
                assertThat(ClientKeys.inSecret(admin.secrets().inNamespace(namespace).withName("abc-env").get())).isEqualTo(key.secret);
                assertThat(ready.getStatus().getKeyHash()).isEqualTo(key.hash);
            });
            // the leader's Lease in the operator's namespace, held by this pod; the installation id it generated
            await().atMost(Duration.ofSeconds(30)).until(() -> pod.equals(installed.leaseHolder()));
            assertThat(installed.installationId()).matches("[0-9a-f]{12}");
            OpenRouterSimulator.Key first = ClientKeys.theOne(openRouter, created);
            assertThat(first.name).endsWith("[mai:" + installed.installationId() + ":" + created.getMetadata().getUid() + "]");

            // a rotation on request: a new key in the Secret, the old one deleted on OpenRouter. The operator
            // honours a request once the key is 5 minutes old, by the creation time it recorded in status:
            // the test ages the key by moving that record back (the operator's clock is the system's)
            resource.editStatus(m -> {
                m.getStatus().setKeyCreatedAt(Instant.parse(m.getStatus().getKeyCreatedAt()).minus(KEY_AGE).toString());
                return m;
            });
            resource.edit(m -> {
                m.getMetadata().setAnnotations(new HashMap<>(Map.of(Labels.ROTATE, "1")));
                return m;
            });
            awaitUnlessRefused(operator, resource, Duration.ofSeconds(60), () -> {
                assertThat(first.deleted).as("the old key deleted").isTrue();
                OpenRouterSimulator.Key second = ClientKeys.theOne(openRouter, created);
                assertThat(ClientKeys.inSecret(admin.secrets().inNamespace(namespace).withName("abc-env").get())).isEqualTo(second.secret);
                MaiClient rotated = resource.get();
                assertThat(rotated.getStatus().getRotationRequest()).isEqualTo("1");
                assertThat(rotated.getStatus().getKeyHash()).isEqualTo(second.hash);
                assertThat(Clients.isReady(rotated)).isTrue();
            });

            // the sweep runs (it lists the account's keys with the management key, and completes)
            long listings = openRouter.count("GET /keys");
            // three complete sweeps: the first may have listed before the count above was taken
            InstalledOperator.awaitSweeps(operator, 3);
            assertThat(openRouter.count("GET /keys")).isGreaterThanOrEqualTo(listings + 2);
            application(admin, operator, namespace);
            if (whileRunning != null) {
                whileRunning.accept(openRouter);
            }

            // deletion: the finalizer deletes the key on OpenRouter, then lets the MaiClient go
            OpenRouterSimulator.Key last = ClientKeys.theOne(openRouter, created);
            resource.delete();
            awaitUnlessRefused(operator, resource, Duration.ofSeconds(60), () -> assertThat(resource.get()).isNull());
            assertThat(last.deleted).isTrue();
            assertThat(openRouter.allKeys()).filteredOn(k -> k.name != null && k.name.contains(created.getMetadata().getUid()))
                    .hasSize(2).allSatisfy(k -> assertThat(k.deleted).as("%s deleted", k).isTrue());

            assertThat(InstalledOperator.forbidden(operator)).as("refusals in %s", operator.log()).isEmpty();
            assertThat(operator.isAlive()).isTrue();
        } finally {
            System.out.printf("OperatorRbacIT %s: %d ms%n", pod, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /**
     * spec.app and spec.rolloutTargets under the same roles: the operator creates the client's
     * Deployment, Service and claim, marks the two existing targets (a Deployment and a StatefulSet,
     * read by name, then updated), and when spec.app is removed deletes what it made (the claim too:
     * retain false). No controllers run here, so the test reports the rollouts done; a deleted claim
     * keeps the pvc-protection finalizer no controller removes, so its deletion is seen as started.
     */
    private static void application(KubernetesClient admin, OperatorProcess operator, String namespace) {
        admin.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder()
                .withNewMetadata().withName("worker").endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels("app", "worker").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "worker").endMetadata()
                .withNewSpec().addNewContainer().withName("worker").withImage("busybox").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
        admin.apps().statefulSets().inNamespace(namespace).resource(new StatefulSetBuilder()
                .withNewMetadata().withName("db").endMetadata()
                .withNewSpec().withServiceName("db").withNewSelector().addToMatchLabels("app", "db").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "db").endMetadata()
                .withNewSpec().addNewContainer().withName("db").withImage("busybox").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
        admin.resource(Clients.with(Clients.maiClient(namespace, "app", "App Co", "100"), s -> {
            AppSpec app = new AppSpec();
            app.setImage("ghcr.io/example/mai:1.0");
            AppStorage storage = new AppStorage();
            storage.setSize("1Gi");
            storage.setRetain(false);
            app.setStorage(storage);
            s.setApp(app);
            s.setRolloutTargets(List.of(new RolloutTarget("Deployment", "worker"), new RolloutTarget("StatefulSet", "db")));
        })).create();
        Resource<MaiClient> resource = admin.resources(MaiClient.class).inNamespace(namespace).withName("app");
        var deployments = admin.apps().deployments().inNamespace(namespace);
        var statefulSets = admin.apps().statefulSets().inNamespace(namespace);

        awaitUnlessRefused(operator, resource, Duration.ofSeconds(60), () -> {
            assertThat(deployments.withName("app-app").get()).as("Deployment app-app").isNotNull();
            assertThat(admin.services().inNamespace(namespace).withName("app-app").get()).as("Service app-app").isNotNull();
            assertThat(admin.persistentVolumeClaims().inNamespace(namespace).withName("app-data").get()).as("claim app-data").isNotNull();
            assertThat(deployments.withName("worker").get().getSpec().getTemplate().getMetadata().getAnnotations())
                    .as("worker's revision").containsKey(Labels.ENV_REVISION);
            assertThat(statefulSets.withName("db").get().getSpec().getTemplate().getMetadata().getAnnotations())
                    .as("db's revision").containsKey(Labels.ENV_REVISION);
        });
        Rollouts.markRolledOut(admin, namespace, "app-app");
        Rollouts.markRolledOut(admin, namespace, "worker");
        Rollouts.markStatefulSetRolledOut(admin, namespace, "db");
        awaitUnlessRefused(operator, resource, Duration.ofSeconds(60), () -> assertThat(Clients.isReady(resource.get())).isTrue());

        resource.edit(m -> {
            m.getSpec().setApp(null);
            return m;
        });
        awaitUnlessRefused(operator, resource, Duration.ofSeconds(60), () -> {
            assertThat(deployments.withName("app-app").get()).as("Deployment app-app").isNull();
            assertThat(admin.services().inNamespace(namespace).withName("app-app").get()).as("Service app-app").isNull();
            PersistentVolumeClaim claim = admin.persistentVolumeClaims().inNamespace(namespace).withName("app-data").get();
            assertThat(claim == null || claim.getMetadata().getDeletionTimestamp() != null).as("claim app-data deleted").isTrue();
        });
        resource.delete();
        awaitUnlessRefused(operator, resource, Duration.ofSeconds(60), () -> assertThat(resource.get()).isNull());
    }

    /** The check failed because the API server refused the operator something (or the operator died). */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    /** Waits until {@code check} holds; a refusal seen meanwhile ends the wait at once with {@link Refused}. */
    private static void awaitUnlessRefused(OperatorProcess operator, Resource<MaiClient> resource, Duration atMost,
            ThrowingRunnable check) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            List<String> refused = refusals(operator, resource.get());
            if (!refused.isEmpty() || !operator.isAlive()) {
                throw new Refused("the API server refused the operator (" + operator.log() + ", alive: " + operator.isAlive()
                        + "):\n" + String.join("\n", refused));
            }
            check.run();
        });
    }

    /** What the API server refused the operator: its log's 403 lines and status messages quoting one. */
    private static List<String> refusals(OperatorProcess operator, MaiClient mc) throws Exception {
        List<String> out = new ArrayList<>(InstalledOperator.forbidden(operator));
        if (mc != null && mc.getStatus() != null && mc.getStatus().getConditions() != null) {
            mc.getStatus().getConditions().stream().filter(c -> c.getMessage() != null
                    && InstalledOperator.FORBIDDEN.matcher(c.getMessage()).find())
                    .forEach(c -> out.add("condition " + c.getType() + ": " + c.getMessage()));
        }
        return out;
    }
}
