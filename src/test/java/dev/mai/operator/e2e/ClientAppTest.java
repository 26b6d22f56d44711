package dev.mai.operator.e2e;

import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.RolloutTarget;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.Revisions;
import dev.mai.operator.testing.Rollouts;
import dev.mai.operator.testing.SimulatorResource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The client's application: with spec.app the operator owns the Deployment, the Service and
 * the retained data claim; the six variables come by secretKeyRef and the .env file as a single-item
 * Secret volume; the Secret's revision on the pod template rolls the pods when (and only when) the
 * Secret's content changes, on the app and on rollout targets alike.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class ClientAppTest extends OperatorHarness {

    static final List<String> VARIABLES = List.of("OPENROUTER_API_KEY", "OPENROUTER_HOST", "OPENROUTER_EXTERNAL_USER",
            "ORGANIZATION_NAME", "SPENDING_LIMIT", "OPENROUTER_KEY_HASH");

    static MaiClient withApp(String namespace, String name, AppStorage storage) {
        return Clients.with(Clients.maiClient(namespace, name, "App Co", "100"), s -> {
            AppSpec app = new AppSpec();
            app.setImage("ghcr.io/example/mai:1.0");
            app.setStorage(storage);
            app.setEnv(List.of(new EnvVar("LOG_LEVEL", "info", null)));
            s.setApp(app);
        });
    }

    static AppStorage storage(String size) {
        AppStorage storage = new AppStorage();
        storage.setSize(size);
        return storage;
    }

    @Test
    void theAppGetsItsDeploymentServiceAndRetainedStorage() {
        MaiClient created = create(withApp("app-objects", "abc", storage("5Gi")));
        Deployment d = await().atMost(PATIENCE).until(() -> deployment("app-objects", "abc-app"), x -> x != null);
        var pod = d.getSpec().getTemplate().getSpec();
        var container = pod.getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("ghcr.io/example/mai:1.0");
        assertThat(container.getEnvFrom()).as("no envFrom: it would import .env as a variable too").isNullOrEmpty();
        assertThat(container.getEnv()).filteredOn(e -> e.getValueFrom() != null)
                .allSatisfy(e -> {
                    assertThat(e.getValue()).isNull();
                    assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("abc-env");
                    assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(e.getName());
                })
                .extracting(EnvVar::getName).containsExactlyElementsOf(VARIABLES);
        assertThat(container.getEnv()).extracting(EnvVar::getName).contains("LOG_LEVEL");
        var mount = container.getVolumeMounts().stream().filter(m -> "/app/.env".equals(m.getMountPath())).findFirst().orElseThrow();
        assertThat(mount.getReadOnly()).isTrue();
        assertThat(mount.getSubPath()).isEqualTo(".env");
        var volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("abc-env");
        assertThat(volume.getSecret().getItems()).singleElement().satisfies(item -> {
            assertThat(item.getKey()).isEqualTo(".env");
            assertThat(item.getMode() & 0007).as("not world-readable").isZero();
        });
        assertThat(volume.getSecret().getDefaultMode() & 0007).isZero();
        assertThat(container.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/app/backend/data"));
        assertThat(d.getSpec().getStrategy().getType()).as("ReadWriteOnce data").isEqualTo("Recreate");
        assertThat(Revisions.of(d.getSpec().getTemplate())).isEqualTo(Revisions.of(secret("app-objects", "abc-env")))
                .isNotBlank();
        assertThat(d.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid()));
        assertThat(d.getMetadata().getLabels()).doesNotContainKey("app.kubernetes.io/instance");

        Service svc = await().atMost(PATIENCE).until(() -> client().services().inNamespace("app-objects").withName("abc-app").get(),
                x -> x != null);
        assertThat(svc.getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
        assertThat(svc.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(8080);
            assertThat(p.getTargetPort()).isEqualTo(new IntOrString("http"));
        });
        assertThat(svc.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid()));
        PersistentVolumeClaim pvc = client().persistentVolumeClaims().inNamespace("app-objects").withName("abc-data").get();
        assertThat(pvc.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
        assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("5Gi");
        assertThat(pvc.getMetadata().getOwnerReferences()).as("retained by default: no owner").isNullOrEmpty();

        // Ready waits for the application (the status is written at the end of the reconcile that made the Deployment)
        await().atMost(PATIENCE).untilAsserted(() -> {
            MaiClient progressing = get("app-objects", "abc");
            assertThat(condition(progressing, "AppReady")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("AppProgressing");
            });
            assertThat(condition(progressing, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("False"));
        });
        Rollouts.markRolledOut(client(), "app-objects", "abc-app");
        MaiClient mc = awaitReady("app-objects", "abc");
        assertThat(condition(mc, "AppReady")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("Available"));

        // without spec.app: Deployment and Service go, the retained claim stays
        edit("app-objects", "abc", m -> m.getSpec().setApp(null));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(deployment("app-objects", "abc-app")).isNull();
            assertThat(client().services().inNamespace("app-objects").withName("abc-app").get()).isNull();
            assertThat(condition(get("app-objects", "abc"), "AppReady")).isEmpty();
        });
        assertThat(client().persistentVolumeClaims().inNamespace("app-objects").withName("abc-data").get()).isNotNull();
        awaitReady("app-objects", "abc");
    }

    @Test
    void moreThanOneReplicaWithStorageIsRefused() {
        create(Clients.with(withApp("app-replicas", "abc", storage("1Gi")), s -> s.getApp().setReplicas(2)));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get("app-replicas", "abc"), "Ready"))
                .hasValueSatisfying(c -> {
                    assertThat(c.getReason()).isEqualTo("InvalidSpec");
                    assertThat(c.getMessage()).contains("spec.app.replicas");
                }));
        assertThat(deployment("app-replicas", "abc-app")).isNull();
        assertThat(simulator().keysNamed("App Co")).noneMatch(k -> k.name.contains("app-replicas/"));
    }

    @Test
    void aNonRetainedClaimIsOwnedAndGoesWithSpecApp() {
        AppStorage storage = storage("1Gi");
        storage.setRetain(false);
        MaiClient created = create(withApp("app-noretain", "abc", storage));
        PersistentVolumeClaim pvc = await().atMost(PATIENCE)
                .until(() -> client().persistentVolumeClaims().inNamespace("app-noretain").withName("abc-data").get(), x -> x != null);
        assertThat(pvc.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid()));
        edit("app-noretain", "abc", m -> m.getSpec().setApp(null));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(client().persistentVolumeClaims().inNamespace("app-noretain").withName("abc-data").get()).isNull());
    }

    @Test
    void aLimitChangeRollsTheAppAndTheTargetsAndNothingElseDoes() throws Exception {
        String ns = "app-revision";
        client().apps().deployments().inNamespace(ns).resource(target(ns, "worker")).create();
        create(Clients.with(withApp(ns, "abc", null), s -> s.setRolloutTargets(List.of(
                new RolloutTarget("Deployment", "worker"), new RolloutTarget("StatefulSet", "missing")))));
        await().atMost(PATIENCE).until(() -> deployment(ns, "abc-app"), x -> x != null);
        Rollouts.markRolledOut(client(), ns, "abc-app");
        String first = Revisions.ofDeployment(client(), ns, "abc-app");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Revisions.ofDeployment(client(), ns, "worker")).isEqualTo(first));
        Rollouts.markRolledOut(client(), ns, "worker");
        MaiClient mc = awaitReady(ns, "abc");
        assertThat(condition(mc, "SecretSynced")).hasValueSatisfying(c -> assertThat(c.getMessage()).contains("StatefulSet/missing"));
        assertThat(events(ns, "abc")).filteredOn(e -> "RolloutTargetMissing".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));

        // nothing changed: several sweeps and reconciles later, nothing was written to the workloads
        String appVersion = deployment(ns, "abc-app").getMetadata().getResourceVersion();
        String workerVersion = deployment(ns, "worker").getMetadata().getResourceVersion();
        awaitCompleteSweeps(3);
        assertThat(deployment(ns, "abc-app").getMetadata().getResourceVersion()).isEqualTo(appVersion);
        assertThat(deployment(ns, "worker").getMetadata().getResourceVersion()).isEqualTo(workerVersion);

        edit(ns, "abc", m -> m.getSpec().setSpendingLimit(new IntOrString("250")));
        await().atMost(PATIENCE).untilAsserted(() -> {
            String next = Revisions.of(secret(ns, "abc-env"));
            assertThat(next).isNotEqualTo(first);
            assertThat(Revisions.ofDeployment(client(), ns, "abc-app")).isEqualTo(next);
            assertThat(Revisions.ofDeployment(client(), ns, "worker")).isEqualTo(next);
        });
        assertThat(deployment(ns, "worker").getMetadata().getLabels()).containsEntry("mai.dev/rollout-target", "true")
                .containsEntry("app", "worker");

        // the missing StatefulSet appears, and the app moves to another port: the next reconcile rolls
        // the StatefulSet like the Deployment and the Service follows the port
        client().apps().statefulSets().inNamespace(ns).resource(new StatefulSetBuilder()
                .withNewMetadata().withName("missing").withNamespace(ns).endMetadata()
                .withNewSpec().withReplicas(1).withServiceName("missing")
                .withNewSelector().withMatchLabels(Map.of("app", "missing")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "missing")).endMetadata()
                .withNewSpec().addNewContainer().withName("db").withImage("busybox").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
        edit(ns, "abc", m -> m.getSpec().getApp().setPort(9090));
        await().atMost(PATIENCE).untilAsserted(() -> {
            Service service = client().services().inNamespace(ns).withName("abc-app").get();
            assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getPort()).isEqualTo(9090));
            StatefulSet sts = client().apps().statefulSets().inNamespace(ns).withName("missing").get();
            assertThat(sts.getMetadata().getLabels()).containsEntry("mai.dev/rollout-target", "true");
            assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations())
                    .containsEntry("mai.dev/env-revision", Revisions.ofDeployment(client(), ns, "worker"));
        });
    }

    /**
     * The pod is contained by default and relaxed only by spec.app.securityProfile, which status shows
     * (AppRestricted) with one Warning; an image outside MAI_APP_ALLOWED_IMAGES never runs and no key is made.
     */
    @Test
    void aBaselineAppShowsInStatusWithOneWarningAndAnImageOutsideTheAllowListIsRefused() {
        String ns = "app-security";
        create(Clients.with(withApp(ns, "abc", null), s -> s.getApp().setSecurityProfile("baseline")));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(condition(get(ns, "abc"), "AppRestricted")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("BaselineRequested");
                assertThat(c.getMessage()).contains("spec.app.securityProfile", "root");
            });
            Deployment d = deployment(ns, "abc-app");
            assertThat(d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isNull();
            assertThat(d.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();
        });
        Rollouts.markRolledOut(client(), ns, "abc-app");
        awaitReady(ns, "abc"); // a relaxed pod is what was asked for: Ready all the same

        edit(ns, "abc", m -> m.getSpec().getApp().setSecurityProfile(null));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(condition(get(ns, "abc"), "AppRestricted")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getReason()).isEqualTo("Restricted");
            });
            var pod = deployment(ns, "abc-app").getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getContainers().get(0).getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        });
        assertThat(events(ns, "abc")).filteredOn(e -> "BaselineRequested".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));

        create(Clients.with(withApp(ns, "evil", null), s -> s.getApp().setImage("ghcr.io/example-evil/mai:1.0")));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(condition(get(ns, "evil"), "Ready")).hasValueSatisfying(c -> {
            assertThat(c.getReason()).isEqualTo("InvalidSpec");
            assertThat(c.getMessage()).contains("spec.app.image: is not allowed", "MAI_APP_ALLOWED_IMAGES");
        }));
        assertThat(deployment(ns, "evil-app")).isNull();
        assertThat(simulator().keysNamed("App Co")).noneMatch(k -> k.name.contains(ns + "/evil"));
    }

    Deployment deployment(String namespace, String name) {
        return client().apps().deployments().inNamespace(namespace).withName(name).get();
    }

    static Deployment target(String namespace, String name) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().withReplicas(1)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("worker").withImage("busybox").endContainer().endSpec()
                .endTemplate().endSpec().build();
    }
}
