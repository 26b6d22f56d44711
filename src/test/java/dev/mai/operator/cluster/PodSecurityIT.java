package dev.mai.operator.cluster;

import static dev.mai.operator.testing.ClientConditions.assertReady;
import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.AppSpec;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Pod Security admission for real, on the whole cluster ({@link WholeCluster}: the API server's
 * PodSecurity plugin, the Deployment and ReplicaSet controllers, the scheduler and kwok's nodes).
 *
 * <p>The operator's namespace as deploy/ labels it enforces {@code restricted}: the operator's pod
 * template passes it in a server-side dry run (no refusal, no warning, also for the Deployment itself,
 * which the namespace's warn mode checks against the latest standard), the same template running as
 * root is refused, and deploy/'s Deployment's pods are created and run there.
 *
 * <p>A tenant namespace labelled {@code pod-security.kubernetes.io/enforce: restricted} admits the
 * application pod of a MaiClient whose spec.app gives only an image (the MaiClient goes Ready with its
 * Deployment available), and refuses the same pod template as root and a {@code baseline} app: the
 * ReplicaSet reports FailedCreate quoting PodSecurity, and the MaiClient's AppReady stays AppProgressing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PodSecurityIT {

    private static final Path WORK = Path.of("target/whole-pod-security");
    private static final String SYSTEM = InstalledOperator.NAMESPACE;
    /** A tenant's namespace as a platform team labels it. */
    private static final String TENANT = "psa-restricted";
    private static final String ENFORCE = "pod-security.kubernetes.io/enforce";
    private static final String ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version";
    private static final String IMAGE = "ghcr.io/example/mai:1.0";

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static OperatorProcess operator;
    static KubernetesClient admin;
    static Kubectl kubectl;

    @BeforeAll
    static void install() throws IOException {
        RealApiServer.Started cluster = WholeCluster.get();
        try (KubernetesClient client = cluster.client()) {
            // labelled before anything runs in it, as a platform team creates a tenant's namespace
            client.resource(new NamespaceBuilder().withNewMetadata().withName(TENANT).addToLabels(ENFORCE, "restricted")
                    .endMetadata().build()).serverSideApply();
        }
        installed = InstalledOperator.install(cluster, "deploy", UnaryOperator.identity(), WORK, List.of(TENANT));
        admin = installed.admin();
        kubectl = installed.kubectl();
        openRouter = new OpenRouterSimulator();
        operator = installed.start(openRouter, "pod-security-0", Map.of("QUARKUS_LOG_CATEGORY__DEV_MAI__LEVEL", "DEBUG"));
        // the application whose pod template two tests look at
        admin.resource(app("defaults", null)).create();
    }

    @AfterAll
    static void stop() {
        if (installed != null) {
            installed.close();
            try (KubernetesClient client = WholeCluster.get().client()) {
                client.namespaces().withName(TENANT).delete();
            }
        }
        if (openRouter != null) {
            openRouter.close();
        }
    }

    // --- the operator's namespace ------------------------------------------------------------------

    @Test
    @Order(1)
    void deploysNamespaceEnforcesRestrictedPinnedAndWarnsAndAuditsAgainstTheLatest() {
        Map<String, String> labels = admin.namespaces().withName(SYSTEM).get().getMetadata().getLabels();

        assertThat(labels).containsEntry(ENFORCE, "restricted")
                .containsEntry("pod-security.kubernetes.io/audit", "restricted")
                .containsEntry("pod-security.kubernetes.io/audit-version", "latest")
                .containsEntry("pod-security.kubernetes.io/warn", "restricted")
                .containsEntry("pod-security.kubernetes.io/warn-version", "latest");
        assertThat(labels.get(ENFORCE_VERSION)).matches("v1\\.\\d+");
        assertThat(labels).containsAllEntriesOf(deployed(Namespace.class).getMetadata().getLabels());
        // the namespaced overlay builds on the same namespace
        String overlay = Kubectl.offline().run("kustomize", "deploy/overlays/namespaced").ok();
        assertThat(admin.load(new ByteArrayInputStream(overlay.getBytes(StandardCharsets.UTF_8))).items())
                .filteredOn(Namespace.class::isInstance).singleElement()
                .satisfies(n -> assertThat(n.getMetadata().getLabels()).isEqualTo(deployed(Namespace.class).getMetadata().getLabels()));
    }

    @Test
    @Order(2)
    void theOperatorsPodTemplatePassesRestrictedInAServerSideDryRunAndAsRootIsRefused() throws IOException {
        Deployment deployment = deployed(Deployment.class);
        Pod pod = podOf(deployment.getSpec().getTemplate(), "mai-operator-dry-run");

        Kubectl.Result passes = kubectl.run("create", "--dry-run=server", "-f", write("operator-pod.yaml", pod));
        assertThat(passes.exit()).as(passes.err()).isZero();
        assertThat(passes.out()).contains("pod/mai-operator-dry-run created (server dry run)");
        assertThat(passes.err()).as("warnings of the dry run").doesNotContain("Warning");

        // the test of the check: the same pod as root is refused by the namespace, under the pinned version
        Pod root = new PodBuilder(pod).editSpec().editFirstContainer().editSecurityContext().withRunAsUser(0L)
                .endSecurityContext().endContainer().endSpec().build();
        Kubectl.Result refused = kubectl.run("create", "--dry-run=server", "-f", write("operator-pod-as-root.yaml", root));
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("pods \"mai-operator-dry-run\" is forbidden: violates PodSecurity \"restricted:"
                + deployed(Namespace.class).getMetadata().getLabels().get(ENFORCE_VERSION) + "\"").contains("runAsUser=0");
    }

    @Test
    @Order(3)
    void theOperatorsDeploymentDrawsNoPodSecurityWarningInAServerSideApplyDryRun() throws IOException {
        Deployment deployment = deployed(Deployment.class);

        Kubectl.Result applied = kubectl.run("apply", "--server-side", "--dry-run=server", "-f", write("operator-deployment.yaml", deployment));
        assertThat(applied.exit()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("deployment.apps/mai-operator serverside-applied (server dry run)");
        assertThat(applied.err()).doesNotContain("PodSecurity");

        // the test of the check: the namespace's warn mode does judge a Deployment's pod template
        Deployment root = new DeploymentBuilder(deployment).editSpec().editTemplate().editSpec().editFirstContainer()
                .editSecurityContext().withRunAsUser(0L).endSecurityContext().endContainer().endSpec().endTemplate().endSpec().build();
        Kubectl.Result warned = kubectl.run("apply", "--server-side", "--dry-run=server", "-f", write("operator-deployment-as-root.yaml", root));
        assertThat(warned.exit()).as(warned.err()).isZero();
        assertThat(warned.err()).contains("Warning: would violate PodSecurity \"restricted:latest\"").contains("runAsUser=0");
    }

    @Test
    @Order(4)
    void deploysOperatorPodsAreAdmittedAndRunInTheRestrictedNamespace() {
        // pods made now, under the namespace's labels as deploy/ sets them (not ones left from an earlier install)
        Set<String> before = admin.pods().inNamespace(SYSTEM).withLabel("app.kubernetes.io/component", "operator").list().getItems()
                .stream().map(p -> p.getMetadata().getUid()).collect(Collectors.toSet());
        admin.pods().inNamespace(SYSTEM).withLabel("app.kubernetes.io/component", "operator").delete();

        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            List<Pod> pods = admin.pods().inNamespace(SYSTEM).withLabel("app.kubernetes.io/component", "operator").list().getItems()
                    .stream().filter(p -> !before.contains(p.getMetadata().getUid()) && p.getMetadata().getDeletionTimestamp() == null).toList();
            assertThat(pods).hasSize(2).allSatisfy(p -> {
                assertThat(p.getStatus().getPhase()).isEqualTo("Running");
                assertThat(p.getStatus().getConditions()).anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            });
            Deployment deployment = admin.apps().deployments().inNamespace(SYSTEM).withName("mai-operator").get();
            assertThat(deployment.getStatus().getAvailableReplicas()).isEqualTo(2);
        });
        assertThat(replicaSetEvents(SYSTEM, "mai-operator")).noneMatch(e -> "FailedCreate".equals(e.getReason()));
    }

    // --- a tenant's namespace ----------------------------------------------------------------------

    @Test
    @Order(5)
    void anAppWithOnlyAnImageIsAdmittedAndReadyInARestrictedTenantNamespace() {
        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
            MaiClient mc = admin.resources(MaiClient.class).inNamespace(TENANT).withName("defaults").get();
            assertReady(mc, TENANT + "/defaults");
            assertThat(condition(mc, "AppReady")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("Available"));
            assertThat(condition(mc, "AppRestricted")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        });
        Deployment deployment = admin.apps().deployments().inNamespace(TENANT).withName("defaults-app").get();
        assertThat(deployment.getStatus().getAvailableReplicas()).isEqualTo(1);
        assertThat(admin.pods().inNamespace(TENANT).withLabel("mai.dev/client", "defaults").list().getItems()).singleElement()
                .satisfies(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Running"));
        assertThat(replicaSetEvents(TENANT, "defaults-app")).anyMatch(e -> "SuccessfulCreate".equals(e.getReason()))
                .noneMatch(e -> "FailedCreate".equals(e.getReason()));
    }

    @Test
    @Order(6)
    void theSameAppTemplateAsRootIsRefusedByTheTenantNamespace() {
        Deployment app = await().atMost(Duration.ofMinutes(2)).until(
                () -> admin.apps().deployments().inNamespace(TENANT).withName("defaults-app").get(), d -> d != null);
        PodTemplateSpec template = app.getSpec().getTemplate();
        Map<String, String> labels = Map.of("app.kubernetes.io/name", "rooted");
        template.getMetadata().setLabels(labels);
        template.getSpec().getSecurityContext().setRunAsNonRoot(null);
        template.getSpec().getSecurityContext().setRunAsUser(0L);
        template.getSpec().getContainers().get(0).getSecurityContext().setRunAsNonRoot(null);
        Deployment rooted = new DeploymentBuilder().withNewMetadata().withName("rooted").withNamespace(TENANT).withLabels(labels)
                .endMetadata().withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(labels).endSelector()
                .withTemplate(template).endSpec().build();
        admin.resource(rooted).create();
        try {
            awaitRefusal("rooted");
        } finally {
            admin.resource(rooted).delete();
        }
    }

    @Test
    @Order(7)
    void aBaselineAppIsRefusedByTheTenantNamespaceAndStaysProgressing() {
        admin.resource(app("baseline", AppSpec.BASELINE)).create();

        awaitRefusal("baseline-app");
        // the ReplicaSet controller can refuse the pod before the reconcile that made the Deployment writes its status
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            MaiClient mc = admin.resources(MaiClient.class).inNamespace(TENANT).withName("baseline").get();
            assertThat(condition(mc, "AppReady")).hasValueSatisfying(c -> {
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("AppProgressing");
            });
            assertThat(condition(mc, "AppRestricted")).hasValueSatisfying(c -> assertThat(c.getReason()).isEqualTo("BaselineRequested"));
            assertThat(condition(mc, "SecretSynced")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        });
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void noKeyInTheOperatorsLogAndNoRbacDenial() throws IOException {
        assertThat(openRouter.issuedSecrets()).as("keys issued in this class").isNotEmpty();
        assertThat(LeakScan.inFile(operator.log(), openRouter.issuedSecrets())).isEmpty();
        assertThat(InstalledOperator.forbidden(operator)).isEmpty();
    }

    // --- helpers -----------------------------------------------------------------------------------

    /** A MaiClient whose spec.app names an image and, when not null, a security profile: nothing else. */
    private static MaiClient app(String name, String profile) {
        return Clients.with(Clients.maiClient(TENANT, name, name + " Co", "10"), s -> {
            AppSpec app = new AppSpec();
            app.setImage(IMAGE);
            app.setSecurityProfile(profile);
            s.setApp(app);
        });
    }

    /** Deployment {@code name} in the tenant's namespace gets no pod: its ReplicaSet's creates are refused by PodSecurity. */
    private static void awaitRefusal(String name) {
        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(replicaSetEvents(TENANT, name))
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("FailedCreate");
                    assertThat(e.getMessage()).contains("is forbidden: violates PodSecurity \"restricted:latest\"");
                }));
        Deployment deployment = admin.apps().deployments().inNamespace(TENANT).withName(name).get();
        assertThat(admin.pods().inNamespace(TENANT).withLabels(deployment.getSpec().getSelector().getMatchLabels()).list().getItems())
                .as("pods of %s", name).isEmpty();
        assertThat(Optional.ofNullable(deployment.getStatus().getAvailableReplicas()).orElse(0)).isZero();
    }

    /** The events of every ReplicaSet Deployment {@code deployment} owns. */
    private static List<Event> replicaSetEvents(String namespace, String deployment) {
        Set<String> owned = admin.apps().replicaSets().inNamespace(namespace).list().getItems().stream()
                .filter(rs -> rs.getMetadata().getOwnerReferences().stream().anyMatch(o -> o.getName().equals(deployment)))
                .map(ReplicaSet::getMetadata).map(m -> m.getName()).collect(Collectors.toSet());
        return admin.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "ReplicaSet".equals(e.getInvolvedObject().getKind()) && owned.contains(e.getInvolvedObject().getName()))
                .toList();
    }

    /** A Pod with the template's labels and spec, in the template's Deployment's namespace. */
    private static Pod podOf(PodTemplateSpec template, String name) {
        PodSpec spec = template.getSpec();
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(SYSTEM).withLabels(template.getMetadata().getLabels())
                .endMetadata().withSpec(spec).build();
    }

    /** The object of {@code kind} deploy/ rendered into the operator's namespace. */
    private static <T extends HasMetadata> T deployed(Class<T> kind) {
        return installed.applied().stream().filter(kind::isInstance).map(kind::cast).findFirst().orElseThrow();
    }

    private static String write(String file, HasMetadata object) throws IOException {
        return Files.writeString(WORK.resolve(file), admin.getKubernetesSerialization().asYaml(object)).toString();
    }

}
