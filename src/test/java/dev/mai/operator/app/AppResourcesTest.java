package dev.mai.operator.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.AppStorage;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The application's objects are a pure function of the MaiClient, the Secret's name and its revision. */
class AppResourcesTest {

    static MaiClient client(AppStorage storage) {
        MaiClient mc = Clients.with(Clients.maiClient("ns", "abc", "Pure Co", "10"), s -> {
            AppSpec app = new AppSpec();
            app.setImage("img:1");
            app.setStorage(storage);
            s.setApp(app);
        });
        mc.getMetadata().setUid("uid-1");
        mc.getMetadata().setLabels(Map.of("app.kubernetes.io/instance", "argo-app"));
        return mc;
    }

    @Test
    void theSameInputsGiveTheSameObjectsWithNothingCopiedFromTheMaiClientAndNoKey() {
        Deployment a = AppResources.deployment(client(null), "abc-env", "r1");
        Deployment b = AppResources.deployment(client(null), "abc-env", "r1");
        assertThat(a).isEqualTo(b);
        assertThat(a.getMetadata().getLabels()).doesNotContainKey("app.kubernetes.io/instance");
        assertThat(a.getSpec().getTemplate().getMetadata().getLabels()).doesNotContainKey("app.kubernetes.io/instance");
        assertThat(a.getSpec().getStrategy().getType()).as("no ReadWriteOnce volume: rolling").isEqualTo("RollingUpdate");
        assertThat(a.getSpec().getTemplate().getMetadata().getAnnotations()).containsExactly(Map.entry("mai.dev/env-revision", "r1"));
        assertThat(a.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()).extracting(EnvVar::getValue).containsOnlyNulls();
        assertThat(Serialization.asJson(a)).doesNotContain("sk-or-");
        assertThat(AppResources.deployment(client(null), "abc-env", "r2")).isNotEqualTo(a);
    }

    @Test
    void storageMeansRecreateAndARetainedClaimHasNoOwner() {
        AppStorage storage = new AppStorage();
        storage.setSize("1Gi");
        storage.setMountPath("/data");
        Deployment d = AppResources.deployment(client(storage), "abc-env", "r1");
        assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getPersistentVolumeClaim() != null)
                .singleElement().satisfies(v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("abc-data"));
        assertThat(AppResources.dataClaim(client(storage)).getMetadata().getOwnerReferences()).isNullOrEmpty();
        storage.setRetain(false);
        assertThat(AppResources.dataClaim(client(storage)).getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-1"));
    }

    static Deployment rolling(String revision, long generation, long observed, int updated, int total, int available) {
        return new DeploymentBuilder(AppResources.deployment(client(null), "abc-env", revision))
                .editMetadata().withGeneration(generation).endMetadata()
                .withStatus(new DeploymentStatusBuilder().withObservedGeneration(observed).withUpdatedReplicas(updated)
                        .withReplicas(total).withAvailableReplicas(available).build())
                .build();
    }

    @Test
    void aDeploymentHasRolledOutOnlyWhenItsControllerSawTheRevisionAndEveryReplicaRunsIt() {
        assertThat(AppResources.rolledOut(rolling("r1", 2, 2, 1, 1, 1), "r1")).isTrue();
        assertThat(AppResources.rolledOut(rolling("r1", 2, 2, 1, 1, 1), "r2")).as("another revision").isFalse();
        assertThat(AppResources.rolledOut(rolling("r1", 3, 2, 1, 1, 1), "r1")).as("controller has not seen it").isFalse();
        assertThat(AppResources.rolledOut(rolling("r1", 2, 2, 0, 1, 1), "r1")).as("not updated").isFalse();
        assertThat(AppResources.rolledOut(rolling("r1", 2, 2, 1, 2, 1), "r1")).as("an old pod left").isFalse();
        assertThat(AppResources.rolledOut(rolling("r1", 2, 2, 1, 1, 0), "r1")).as("not available").isFalse();
        Deployment noStatus = AppResources.deployment(client(null), "abc-env", "r1");
        assertThat(AppResources.rolledOut(noStatus, "r1")).isFalse();
        Deployment gaveUp = new DeploymentBuilder(rolling("r1", 2, 2, 0, 1, 1)).editStatus()
                .withConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus("False")
                        .withReason("ProgressDeadlineExceeded").build()).endStatus().build();
        assertThat(AppResources.progressDeadlineExceeded(gaveUp)).isTrue();
        assertThat(AppResources.progressDeadlineExceeded(rolling("r1", 2, 2, 0, 1, 1))).isFalse();
    }

    @Test
    void aStatefulSetHasRolledOutWhenEveryReplicaIsUpdatedAndReadyOnOneRevision() {
        var template = AppResources.deployment(client(null), "abc-env", "r1").getSpec().getTemplate();
        var done = new StatefulSetBuilder().withNewMetadata().withName("db").withGeneration(1L).endMetadata()
                .withNewSpec().withReplicas(2).withTemplate(template).endSpec()
                .withStatus(new StatefulSetStatusBuilder().withObservedGeneration(1L).withUpdatedReplicas(2).withReadyReplicas(2)
                        .withCurrentRevision("a").withUpdateRevision("a").build()).build();
        assertThat(AppResources.rolledOut(done, "r1")).isTrue();
        var midway = new StatefulSetBuilder(done).editStatus().withUpdateRevision("b").endStatus().build();
        assertThat(AppResources.rolledOut(midway, "r1")).isFalse();
    }

    @Test
    void theSpecDigestDoesNotDependOnMapOrder() {
        Deployment d = AppResources.deployment(client(null), "abc-env", "r1");
        Deployment reordered = AppResources.deployment(client(null), "abc-env", "r1");
        var selector = new java.util.LinkedHashMap<String, String>();
        var entries = new java.util.ArrayList<>(d.getSpec().getSelector().getMatchLabels().entrySet());
        java.util.Collections.reverse(entries);
        entries.forEach(e -> selector.put(e.getKey(), e.getValue()));
        reordered.getSpec().getSelector().setMatchLabels(selector);
        assertThat(AppResources.digest(reordered.getSpec())).isEqualTo(AppResources.digest(d.getSpec()));
        assertThat(AppResources.digest(AppResources.deployment(client(null), "abc-env", "r2").getSpec()))
                .isNotEqualTo(AppResources.digest(d.getSpec()));
    }

    /**
     * Whoever edits a MaiClient with spec.app runs this pod: by default it passes Pod Security restricted,
     * gets no service-account token, and reads /app/.env through its fsGroup, the world not at all.
     */
    @Test
    void theDefaultPodIsRestrictedHasNoTokenAndOnlyItsGroupReadsTheEnvFile() {
        var pod = AppResources.deployment(client(null), "abc-env", "r1").getSpec().getTemplate().getSpec();
        assertThat(pod.getAutomountServiceAccountToken()).as("automountServiceAccountToken").isFalse();
        assertThat(pod.getHostNetwork()).isNull();
        assertThat(pod.getHostPID()).isNull();
        assertThat(pod.getHostIPC()).isNull();
        var podContext = pod.getSecurityContext();
        assertThat(podContext).as("pod securityContext").isNotNull();
        assertThat(podContext.getRunAsNonRoot()).isTrue();
        assertThat(podContext.getRunAsUser()).as("no root user forced").isNull();
        assertThat(podContext.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(podContext.getFsGroup()).as("fsGroup").isNotNull().isPositive();
        assertThat(podContext.getFsGroupChangePolicy()).isEqualTo("OnRootMismatch");
        var container = pod.getContainers().get(0);
        var context = container.getSecurityContext();
        assertThat(context).as("container securityContext").isNotNull();
        assertThat(context.getAllowPrivilegeEscalation()).isFalse();
        assertThat(context.getPrivileged()).isNull();
        assertThat(context.getRunAsNonRoot()).isTrue();
        assertThat(context.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(context.getCapabilities().getAdd()).isNullOrEmpty();
        var secret = pod.getVolumes().stream().filter(v -> v.getSecret() != null).findFirst().orElseThrow().getSecret();
        assertThat(secret.getItems()).singleElement().satisfies(item -> {
            assertThat(item.getMode() & 0040).as("group (fsGroup) may read .env").isEqualTo(0040);
            assertThat(item.getMode() & 0007).as("the world may not").isZero();
            assertThat(item.getMode() & 0222).as("nobody writes it").isZero();
        });
        assertThat(secret.getDefaultMode() & 0007).isZero();
    }
}
