package dev.mai.operator.cluster;

import static dev.mai.operator.testing.ClientConditions.awaitReady;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ClientKeys;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.Helm;
import dev.mai.operator.testing.LeakScan;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart installed, upgraded, uninstalled and installed again with the real helm (built from Go
 * modules) on a whole cluster ({@link WholeCluster}: the Deployment controllers roll the operator's pods
 * on kwok's fake nodes, so {@code helm --wait} waits for real). The operator itself runs as a process
 * with the environment of the Deployment helm installed and a token of the chart's ServiceAccount,
 * exactly as {@link InstalledOperator} does for deploy/.
 *
 * <p>What it proves: a MaiClient goes Ready under the chart's RBAC; {@code helm upgrade} updates the CRD
 * (the first install is of the same chart with a CRD one printer column short, as an older release
 * would be) and rolls the operator's pods when a value changes, with no OpenRouter write; {@code helm
 * uninstall}, with the operator still running, leaves the CRD, the MaiClient, its Secret and its key on
 * OpenRouter as they were; installing again takes the same MaiClient up without a new key. Objects an
 * earlier {@code kubectl apply} of deploy/ left (other tests) are taken over by the release the way the
 * docs/install.md tells a user moving from Kustomize to Helm.
 */
class HelmInstallIT {

    private static final Path WORK = Path.of("target/real-helm");
    private static final String NS = InstalledOperator.NAMESPACE;
    private static final String RELEASE = "mai-operator";
    private static final String TENANT = "tenant-helm";
    private static final String NEW_COLUMN = "Paused";
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    /** Every process of the test on the same OpenRouter account. */
    private static final Path ACCOUNT = WORK.resolve("account-key");

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static final List<OperatorProcess> processes = new ArrayList<>();

    @AfterAll
    static void stop() throws IOException {
        processes.forEach(OperatorProcess::close);
        try (KubernetesClient admin = WholeCluster.get().client()) {
            Helm helm = Helm.of(WORK.resolve("admin.kubeconfig"));
            if (helm.run("status", RELEASE, "-n", NS).exit() == 0) {
                helm.run("uninstall", RELEASE, "-n", NS, "--wait", "--timeout", "2m").ok();
            }
            if (installed != null) {
                installed.close();
            }
            admin.namespaces().withName(TENANT).delete();
        }
        if (openRouter != null) {
            openRouter.close();
        }
    }

    @Test
    void installUpgradeUninstallAndInstallAgainKeepTheClientAndItsKey() throws Exception {
        RealApiServer.Started cluster = WholeCluster.get();
        InstalledOperator.prepare(cluster, WORK, List.of(TENANT));
        Helm helm = Helm.of(WORK.resolve("admin.kubeconfig"));
        KubernetesClient admin = cluster.client();
        openRouter = new OpenRouterSimulator();
        OperatorProcess.writePrivate(ACCOUNT, openRouter.newManagementKey());
        operatorNamespace(admin);
        Path older = olderChart();
        List<String> install = new ArrayList<>(List.of("install", RELEASE, older.toString(), "-n", NS, "--wait", "--timeout", "3m"));
        install.addAll(takeOver(admin, helm.run(template(older)).ok()));

        // install (an older chart: its CRD lacks a column) and a MaiClient goes Ready under the chart's RBAC
        helm.run(install.toArray(String[]::new)).ok();
        assertThat(columns(admin)).doesNotContain(NEW_COLUMN);
        installed = InstalledOperator.installed(cluster, WORK, releaseObjects(admin, helm));
        start("helm-0");
        admin.resource(Clients.maiClient(TENANT, "abc", "Helm Co", "100")).create();
        awaitReady(HelmInstallIT::client, PATIENCE);
        String key = ClientKeys.theOne(openRouter, client()).secret;
        // a release of the same name in another namespace would take over the cluster-wide binding: refused
        Helm.Result twin = helm.run("install", RELEASE, Helm.CHART.toString(), "-n", TENANT, "--take-ownership",
                "--set", "crds.install=false", "--set", "spendingLimitCap.enabled=false");
        assertThat(twin.exit()).isNotZero();
        assertThat(twin.err()).contains("ClusterRoleBinding " + RELEASE + " belongs to the installation in namespace " + NS);
        assertThat(admin.resources(io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class).withName(RELEASE).get()
                .getSubjects()).singleElement().satisfies(s -> assertThat(s.getNamespace()).isEqualTo(NS));
        Set<String> podsBefore = operatorPods(admin);
        assertThat(podsBefore).hasSize(2);

        // upgrade with a changed value: the CRD is updated and the pods roll; the restarted operator writes nothing
        openRouter.clearRequests();
        helm.run("upgrade", RELEASE, Helm.CHART.toString(), "-n", NS, "--reuse-values",
                "--set", "settings.MAI_ROTATION_GRACE=20m", "--wait", "--timeout", "3m").ok();
        assertThat(columns(admin)).contains(NEW_COLUMN);
        Deployment rolled = admin.apps().deployments().inNamespace(NS).withName(RELEASE).get();
        assertThat(env(rolled)).containsEntry("MAI_ROTATION_GRACE", "20m");
        await().atMost(PATIENCE).untilAsserted(() -> {
            Set<String> pods = operatorPods(admin);
            assertThat(pods).hasSize(2).doesNotContainAnyElementsOf(podsBefore);
        });
        // an upgrade that would change the running installation's id is refused, and changes nothing
        String id = installed.installationId();
        assertThat(id).as("the id the operator generated into its ConfigMap").isNotBlank();
        long revision = admin.apps().deployments().inNamespace(NS).withName(RELEASE).get().getMetadata().getGeneration();
        Helm.Result changed = helm.run("upgrade", RELEASE, Helm.CHART.toString(), "-n", NS, "--reuse-values",
                "--set", "installationId=another-id");
        assertThat(changed.exit()).isNotZero();
        assertThat(changed.err()).contains("installationId: the running installation's id is \"" + id + "\"")
                .contains("\"another-id\"");
        assertThat(admin.apps().deployments().inNamespace(NS).withName(RELEASE).get().getMetadata().getGeneration()).isEqualTo(revision);
        installed.reapplied(releaseObjects(admin, helm));
        stopProcesses();
        OperatorProcess upgraded = start("helm-1");
        InstalledOperator.awaitSweeps(upgraded, 2);
        awaitReady(HelmInstallIT::client, PATIENCE);
        assertThat(openRouter.requests()).as("OpenRouter writes across the upgrade").noneMatch(OpenRouterSimulator.Request::isWrite);
        assertThat(InstalledOperator.forbidden(upgraded)).as("RBAC denials").isEmpty();

        // uninstall while the operator still runs (its pods terminating): CRD, MaiClient, Secret and key stay
        helm.run("uninstall", RELEASE, "-n", NS, "--wait", "--timeout", "2m").ok();
        assertThat(admin.apps().deployments().inNamespace(NS).withName(RELEASE).get()).isNull();
        assertThat(admin.resources(ClusterRole.class).withName(RELEASE).get()).isNull();
        Thread.sleep(5_000); // a few of the still-running operator's 1 s sweeps
        stopProcesses();
        CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().withName("maiclients.mai.dev").get();
        assertThat(crd).as("the CRD after helm uninstall").isNotNull();
        assertThat(crd.getMetadata().getDeletionTimestamp()).isNull();
        assertThat(client()).as("the MaiClient after helm uninstall").isNotNull();
        assertThat(client().getMetadata().getDeletionTimestamp()).isNull();
        assertThat(ClientKeys.inSecret(admin.secrets().inNamespace(TENANT).withName("abc-env").get())).isEqualTo(key);
        assertThat(ClientKeys.theOne(openRouter, client())).satisfies(k -> {
            assertThat(k.secret).isEqualTo(key);
            assertThat(k.disabled).isFalse();
        });
        assertThat(openRouter.requests()).as("OpenRouter writes across the uninstall").noneMatch(OpenRouterSimulator.Request::isWrite);

        // installed again: the kept CRD is taken back, the MaiClient is Ready with the same key
        helm.run("install", RELEASE, Helm.CHART.toString(), "-n", NS, "--wait", "--timeout", "3m").ok();
        // a new token: the ServiceAccount was deleted with the release and is a new one
        installed = InstalledOperator.installed(cluster, WORK, releaseObjects(admin, helm));
        OperatorProcess again = start("helm-2");
        InstalledOperator.awaitSweeps(again, 2);
        awaitReady(HelmInstallIT::client, PATIENCE);
        assertThat(ClientKeys.theOne(openRouter, client()).secret).isEqualTo(key);
        assertThat(openRouter.requests()).as("OpenRouter writes across uninstall and install").noneMatch(OpenRouterSimulator.Request::isWrite);
        assertThat(InstalledOperator.forbidden(again)).as("RBAC denials").isEmpty();
        for (OperatorProcess p : processes) {
            assertThat(LeakScan.inFile(p.log(), openRouter.issuedSecrets())).as("keys in %s", p.log()).isEmpty();
        }
        admin.close();
    }

    // --- helpers --------------------------------------------------------------------------------------

    private static OperatorProcess start(String pod) throws IOException {
        OperatorProcess process = installed.start(openRouter, pod, Map.of("MAI_VALIDATION_INTERVAL", "1s",
                "MAI_PROVISIONING_KEY_FILE", ACCOUNT.toAbsolutePath().toString()));
        processes.add(process);
        return process;
    }

    private static void stopProcesses() {
        processes.forEach(OperatorProcess::close);
    }

    private static MaiClient client() {
        try (KubernetesClient admin = WholeCluster.get().client()) {
            return admin.resources(MaiClient.class).inNamespace(TENANT).withName("abc").get();
        }
    }

    /** The operator's namespace as docs/install.md creates it: Pod Security restricted. */
    private static void operatorNamespace(KubernetesClient admin) {
        if (admin.namespaces().withName(NS).get() == null) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
                    .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                    .addToLabels("pod-security.kubernetes.io/enforce-version", "v1.36")
                    .addToLabels("pod-security.kubernetes.io/audit", "restricted")
                    .addToLabels("pod-security.kubernetes.io/warn", "restricted").endMetadata().build()).create();
        }
    }

    /** The repository's chart as an older release: version 0.0.1, its CRD without the column {@link #NEW_COLUMN}. */
    private static Path olderChart() throws IOException {
        Path copy = WORK.resolve("older-chart/mai-operator");
        if (Files.exists(copy.getParent())) {
            try (Stream<Path> walk = Files.walk(copy.getParent())) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        try (Stream<Path> walk = Files.walk(Helm.CHART)) {
            for (Path p : walk.toList()) {
                Path target = copy.resolve(Helm.CHART.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Path crdFile = copy.resolve("files/maiclients.mai.dev-v1.yml");
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(crdFile), CustomResourceDefinition.class);
        List<CustomResourceColumnDefinition> columns = crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns();
        assertThat(columns.removeIf(c -> NEW_COLUMN.equals(c.getName()))).as("the CRD has a column " + NEW_COLUMN).isTrue();
        Files.writeString(crdFile, Serialization.asYaml(crd));
        Path chartYaml = copy.resolve("Chart.yaml");
        Files.writeString(chartYaml, Files.readString(chartYaml).replaceFirst("(?m)^version: .*$", "version: 0.0.1"));
        return copy;
    }

    private static String[] template(Path chart) {
        return new String[] {"template", RELEASE, chart.toString(), "-n", NS};
    }

    /**
     * Objects of the chart that exist already, applied with kubectl from deploy/ (by other tests here; by
     * a user moving from Kustomize to Helm): taken over as docs/install.md says. The Deployment is deleted
     * (its pod selector gains the release's label, and a selector cannot change) and the install takes
     * ownership of the rest, forcing server-side apply over kubectl's fields. Returns the install's flags.
     */
    private static List<String> takeOver(KubernetesClient admin, String rendered) {
        boolean existing = false;
        for (HasMetadata object : InstalledOperator.parse(admin, rendered)) {
            if (admin.resource(object).get() != null) {
                existing = true;
                if (object instanceof Deployment) {
                    admin.resource(object).withTimeout(1, java.util.concurrent.TimeUnit.MINUTES).delete();
                }
            }
        }
        return existing ? List.of("--take-ownership", "--force-conflicts") : List.of();
    }

    private static List<HasMetadata> releaseObjects(KubernetesClient admin, Helm helm) {
        return InstalledOperator.parse(admin, helm.run("get", "manifest", RELEASE, "-n", NS).ok());
    }

    private static List<String> columns(KubernetesClient admin) {
        return admin.apiextensions().v1().customResourceDefinitions().withName("maiclients.mai.dev").get().getSpec().getVersions()
                .get(0).getAdditionalPrinterColumns().stream().map(CustomResourceColumnDefinition::getName).toList();
    }

    private static Set<String> operatorPods(KubernetesClient admin) {
        return admin.pods().inNamespace(NS).withLabel("app.kubernetes.io/instance", RELEASE).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())))
                .map(Pod::getMetadata).map(m -> m.getName()).collect(Collectors.toSet());
    }

    private static Map<String, String> env(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }
}
