package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.testing.Helm;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart (deploy/helm/mai-operator) against the real helm built from Go modules: it lints; it
 * renders, with its defaults, exactly the objects of the Kustomize base deploy/ (and with watchNamespaces,
 * those of the namespaced overlay), apart from what Helm adds (its labels, the keep policy on the CRD) and
 * what is created before an install (the Namespace, the management key's Secret); every rendered object
 * parses into fabric8's model with no unknown field; values.schema.json refuses what it must; and the chart's
 * copies and versions follow their sources. The install, upgrade and uninstall on a cluster: HelmInstallIT.
 */
class HelmChartTest {

    private static final String NAMESPACE = "mai-system";
    private static final String RELEASE = "mai-operator";
    /** The labels Helm's objects carry and deploy/'s do not. */
    private static final Set<String> HELM_LABELS = Set.of("app.kubernetes.io/instance", "app.kubernetes.io/version",
            "app.kubernetes.io/managed-by", "helm.sh/chart");
    /** Settings with a value of their own in the chart, or none at all (the key itself never is a value). */
    private static final Set<String> NOT_A_SETTING = Set.of("MAI_PROVISIONING_KEY", "MAI_PROVISIONING_KEY_FILE", "MAI_INSTALLATION_ID");

    private static Helm helm;

    @BeforeAll
    static void helm() {
        helm = Helm.offline();
    }

    @Test
    void lintsCleanly() {
        String out = helm.run("lint", "--strict", Helm.CHART.toString()).ok();
        assertThat(out).contains("1 chart(s) linted, 0 chart(s) failed").doesNotContain("[WARNING]").doesNotContain("[ERROR]");
    }

    @Test
    void withItsDefaultsRendersTheKustomizeBase() throws IOException {
        List<HasMetadata> chart = parsed(helm.template(RELEASE, NAMESPACE));
        List<HasMetadata> base = new ArrayList<>(installedBeforehandRemoved(DeployManifestsTest.rendered("deploy")));
        base.add(crd());
        assertSameObjects(chart, base);
    }

    @Test
    void withWatchNamespacesRendersTheNamespacedOverlay() throws IOException {
        List<HasMetadata> chart = parsed(helm.template(RELEASE, NAMESPACE, "watchNamespaces={tenant-abc,tenant-obrien}"));
        List<HasMetadata> overlay = new ArrayList<>(installedBeforehandRemoved(DeployManifestsTest.rendered("deploy/overlays/namespaced")));
        overlay.add(crd());
        assertSameObjects(chart, overlay);
    }

    @Test
    void theCrdIsATemplateThatUninstallKeeps() throws IOException {
        List<HasMetadata> objects = parsed(helm.template(RELEASE, NAMESPACE));
        CustomResourceDefinition crd = objects.stream().filter(CustomResourceDefinition.class::isInstance)
                .map(CustomResourceDefinition.class::cast).findFirst().orElseThrow();
        assertThat(crd.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
        assertThat(Files.exists(Helm.CHART.resolve("crds"))).as("a crds/ folder, which helm upgrade never updates").isFalse();
        // a second installation (a shard) leaves the cluster-wide objects to the first
        List<HasMetadata> shard = parsed(helm.template("shard-b", NAMESPACE, "crds.install=false", "spendingLimitCap.enabled=false",
                "selector=mai.dev/shard=b", "installationId=shard-b"));
        assertThat(shard).extracting(HasMetadata::getKind)
                .doesNotContain("CustomResourceDefinition", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
        assertThat(env(shard)).containsEntry("QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_SELECTOR", "mai.dev/shard=b")
                .containsEntry("MAI_INSTALLATION_ID", "shard-b");
        assertThat(shard).extracting(o -> o.getMetadata().getName()).filteredOn(n -> !n.startsWith("mai-operator-installation"))
                .allMatch(n -> n.startsWith("shard-b-mai-operator"));
    }

    @Test
    void theChartsCopiesAreTheirSources() throws IOException {
        assertThat(Files.readString(Helm.CHART.resolve("files/maiclients.mai.dev-v1.yml")))
                .as("deploy/helm/mai-operator/files/ is a copy of crds/: run make chart-files")
                .isEqualTo(Files.readString(Path.of("crds/maiclients.mai.dev-v1.yml")));
        assertThat(Files.readString(Helm.CHART.resolve("files/spending-limit-cap.yaml")))
                .as("deploy/helm/mai-operator/files/ is a copy of deploy/operator/: run make chart-files")
                .isEqualTo(Files.readString(Path.of("deploy/operator/spending-limit-cap.yaml")));
        for (String file : List.of("service-monitor.yaml", "prometheus-rule.yaml", "grafana-dashboard.json")) {
            assertThat(Files.readString(Helm.CHART.resolve("files/" + file)))
                    .as("deploy/helm/mai-operator/files/ is a copy of deploy/monitoring/: run make chart-files")
                    .isEqualTo(Files.readString(Path.of("deploy/monitoring", file)));
        }
    }

    /** Off by default (the ServiceMonitor needs the Prometheus Operator's CRDs); on, the objects of deploy/monitoring. */
    @Test
    void withTheMonitoringTogglesRendersTheMonitoringBundle() {
        assertThat(helm.template(RELEASE, NAMESPACE)).doesNotContain("kind: ServiceMonitor").doesNotContain("grafana_dashboard")
                .doesNotContain("kind: PrometheusRule");
        String rendered = helm.template(RELEASE, NAMESPACE, "monitoring.serviceMonitor.enabled=true", "monitoring.dashboard.enabled=true",
                "monitoring.prometheusRule.enabled=true");
        assertThat(parsed(rendered)).as("every typed object still reads exactly").isNotEmpty();
        Map<String, String> chart = monitoringObjects(rendered);
        Map<String, String> kustomize = monitoringObjects(DeployManifestsTest.kustomize("deploy/monitoring"));
        assertThat(kustomize).containsOnlyKeys("ServiceMonitor mai-system/mai-operator", "ConfigMap mai-system/mai-operator-dashboard",
                "PrometheusRule mai-system/mai-operator");
        assertThat(chart.keySet()).isEqualTo(kustomize.keySet());
        kustomize.forEach((key, yaml) -> assertThat(chart.get(key)).as(key).isEqualTo(yaml));
    }

    /** A long release name still gives names the API server takes: the metrics Service's is a DNS label. */
    @Test
    void aLongReleaseNameGivesAServiceNameOfAtMost63Characters() {
        String release = "a".repeat(53);
        List<HasMetadata> objects = parsed(helm.template(release, NAMESPACE));
        assertThat(objects).filteredOn(o -> o.getKind().equals("Service")).singleElement()
                .satisfies(s -> assertThat(s.getMetadata().getName()).hasSizeLessThanOrEqualTo(63).endsWith("-metrics")
                        .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
    }

    /** Another release's rules select the job of its own metrics Service. */
    @Test
    void thePrometheusRuleOfAnotherReleaseSelectsItsOwnJob() {
        String rendered = helm.template("shard-b", NAMESPACE, "monitoring.prometheusRule.enabled=true",
                "monitoring.prometheusRule.labels.release=kube-prometheus-stack");
        Map<String, Object> rule = documents(rendered).stream().filter(d -> "PrometheusRule".equals(d.get("kind"))).findFirst().orElseThrow();
        String text = DeployManifestsTest.STRICT.asYaml(rule);
        assertThat(text).contains("job=\\\"shard-b-mai-operator-metrics\\\"").doesNotContain("job=\\\"mai-operator-metrics\\\"");
        assertThat(((Map<?, ?>) rule.get("metadata")).get("labels")).asString().contains("release=kube-prometheus-stack");
    }

    @Test
    void theServiceMonitorTakesItsIntervalAndLabelsFromTheValuesAndSelectsOnlyItsRelease() {
        String rendered = helm.template("shard-b", NAMESPACE, "monitoring.serviceMonitor.enabled=true",
                "monitoring.serviceMonitor.interval=1m", "monitoring.serviceMonitor.labels.release=kube-prometheus-stack");
        Map<String, Object> monitor = documents(rendered).stream().filter(d -> "ServiceMonitor".equals(d.get("kind"))).findFirst().orElseThrow();
        assertThat(monitor).extractingByKey("metadata").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("name", "shard-b-mai-operator")
                .extractingByKey("labels").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("release", "kube-prometheus-stack");
        assertThat(rendered).contains("interval: 1m").contains("app.kubernetes.io/instance: shard-b");
        Helm.Result refused = helm.run("template", RELEASE, Helm.CHART.toString(), "--set", "monitoring.serviceMonitor.interval=often");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("/monitoring/serviceMonitor/interval");
    }

    @Test
    void versionsFollowThePom() throws IOException {
        Matcher pom = Pattern.compile("<version>([^<]+)</version>").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(pom.find()).isTrue();
        String chart = Files.readString(Helm.CHART.resolve("Chart.yaml"));
        assertThat(chart).containsPattern("(?m)^version: " + Pattern.quote(pom.group(1)) + "$")
                .containsPattern("(?m)^appVersion: " + Pattern.quote(pom.group(1)) + "$");
        assertThat(env(parsed(helm.template(RELEASE, NAMESPACE)))).isNotEmpty();
        assertThat(image(parsed(helm.template(RELEASE, NAMESPACE)))).isEqualTo("mai-operator:" + pom.group(1));
        String digest = "sha256:" + "ab".repeat(32);
        assertThat(image(parsed(helm.template(RELEASE, NAMESPACE, "image.repository=registry.example.com/mai/mai-operator",
                "image.digest=" + digest)))).isEqualTo("registry.example.com/mai/mai-operator@" + digest);
    }

    @Test
    void theSchemaNamesEverySettingOfTheOperatorAndNoOther() throws IOException {
        Set<String> operator = Arrays.stream(MaiConfig.class.getMethods()).map(m -> m.getAnnotation(WithName.class))
                .filter(a -> a != null).map(a -> "MAI_" + a.value().toUpperCase().replace('-', '_'))
                .collect(Collectors.toCollection(TreeSet::new));
        operator.removeAll(NOT_A_SETTING);
        String schema = Files.readString(Helm.CHART.resolve("values.schema.json"));
        Set<String> listed = Pattern.compile("\"(MAI_[A-Z0-9_]+)\"").matcher(schema).results().map(r -> r.group(1))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(listed).isEqualTo(operator);
        Map<String, String> env = env(parsed(helm.template(RELEASE, NAMESPACE, "settings.MAI_MAX_SPENDING_LIMIT=250",
                "settings.MAI_VALIDATION_INTERVAL=5m")));
        assertThat(env).containsEntry("MAI_MAX_SPENDING_LIMIT", "250").containsEntry("MAI_VALIDATION_INTERVAL", "5m")
                .containsEntry("MAI_PROVISIONING_KEY_FILE", "/etc/mai/management-key/management-key");
    }

    @Test
    void theSchemaRefusesAKeyAsAValueAndMisspeltValuesWithoutEchoingThem() {
        String key = "sk-or-v1-" + "f".repeat(64);
        Helm.Result asValue = helm.run("template", RELEASE, Helm.CHART.toString(), "--set", "settings.MAI_PROVISIONING_KEY=" + key);
        assertThat(asValue.exit()).isNotZero();
        assertThat(asValue.err()).contains("/settings").contains("MAI_PROVISIONING_KEY").doesNotContain(key);
        assertThat(asValue.out()).doesNotContain(key);
        Map<String, String> refused = Map.of(
                "installationId=Prod_EU", "/installationId",
                "image.digest=latest", "/image/digest",
                "watchNamespace={a}", "watchNamespace",
                "settings.MAI_VALIDATON_INTERVAL=5m", "MAI_VALIDATON_INTERVAL",
                "managementKey.value=x", "/managementKey");
        refused.forEach((set, named) -> {
            Helm.Result result = helm.run("template", RELEASE, Helm.CHART.toString(), "--set", set);
            assertThat(result.exit()).as(set).isNotZero();
            assertThat(result.err()).as(set).contains("values don't meet the specifications of the schema").contains(named);
        });
    }

    @Test
    void anEmptyMetricsNamespacesListAdmitsNoIngress() {
        // a rule whose "from" is empty admits every source: an empty list must mean no ingress, not any
        Map<String, String> none = Map.of(
                "--set-json networkPolicy.metricsNamespaces=[]", helm.run("template", RELEASE, Helm.CHART.toString(), "--namespace",
                        NAMESPACE, "--set-json", "networkPolicy.metricsNamespaces=[]").ok(),
                "--set networkPolicy.metricsNamespaces=null", helm.template(RELEASE, NAMESPACE, "networkPolicy.metricsNamespaces=null"));
        none.forEach((values, rendered) -> {
            NetworkPolicy policy = networkPolicy(parsed(rendered));
            assertThat(policy.getSpec().getPolicyTypes()).as(values).containsExactly("Ingress");
            assertThat(policy.getSpec().getIngress()).as(values).isEmpty();
        });
    }

    @Test
    void aChangedValueChangesThePodTemplateAndNoChangeNothing() {
        String first = helm.template(RELEASE, NAMESPACE);
        assertThat(helm.template(RELEASE, NAMESPACE)).as("rendering twice").isEqualTo(first);
        Deployment before = deployment(parsed(first));
        Deployment after = deployment(parsed(helm.template(RELEASE, NAMESPACE, "settings.MAI_ROTATION_GRACE=20m")));
        assertThat(after.getSpec().getTemplate()).isNotEqualTo(before.getSpec().getTemplate());
    }

    @Test
    void valuesReachTheObjectsAndTheTogglesRemoveThem() {
        List<HasMetadata> objects = parsed(helm.template(RELEASE, NAMESPACE, "replicas=3", "resources.limits.memory=1Gi",
                "networkPolicy.metricsNamespaces={monitoring,prometheus}", "podDisruptionBudget.minAvailable=2",
                "nodeSelector.pool=system", "managementKey.secretName=other-key", "image.pullPolicy=Always"));
        Deployment deployment = deployment(objects);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getResources().getLimits().get("memory")).hasToString("1Gi");
        assertThat(pod.getContainers().get(0).getImagePullPolicy()).isEqualTo("Always");
        assertThat(pod.getNodeSelector()).containsEntry("pool", "system");
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("other-key"));
        assertThat(objects).filteredOn(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast).singleElement()
                .satisfies(np -> assertThat(np.getSpec().getIngress().get(0).getFrom())
                        .extracting(peer -> peer.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name"))
                        .containsExactly("monitoring", "prometheus"));
        assertThat(objects).filteredOn(PodDisruptionBudget.class::isInstance).map(PodDisruptionBudget.class::cast).singleElement()
                .satisfies(pdb -> assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(2));

        List<HasMetadata> without = parsed(helm.template(RELEASE, NAMESPACE, "networkPolicy.enabled=false",
                "podDisruptionBudget.enabled=false", "spendingLimitCap.enabled=false"));
        assertThat(without).extracting(HasMetadata::getKind).doesNotContain("NetworkPolicy", "PodDisruptionBudget",
                "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding").contains("Deployment", "CustomResourceDefinition");
    }

    // --- helpers --------------------------------------------------------------------------------------

    private static List<HasMetadata> parsed(String yaml) {
        DeployManifestsTest.Checked checked = DeployManifestsTest.check("helm template", yaml, null);
        assertThat(checked.problems()).as("helm template: objects fabric8's model does not read exactly").isEmpty();
        return checked.objects();
    }

    /** The ServiceMonitor, the PrometheusRule and the dashboard's ConfigMap of a render, as normalized YAML by kind and name. */
    private static Map<String, String> monitoringObjects(String yaml) {
        Map<String, String> result = new TreeMap<>();
        for (Map<String, Object> document : documents(yaml)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> metadata = (Map<String, Object>) document.get("metadata");
            if ("ServiceMonitor".equals(document.get("kind")) || "PrometheusRule".equals(document.get("kind"))
                    || String.valueOf(metadata.get("name")).endsWith("-dashboard")) {
                strip(document);
                result.put(document.get("kind") + " " + metadata.get("namespace") + "/" + metadata.get("name"),
                        DeployManifestsTest.STRICT.asYaml(sorted(document)).strip());
            }
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> documents(String yaml) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new org.snakeyaml.engine.v2.api.Load(org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
                .loadAllFromString(yaml)) {
            if (document instanceof Map<?, ?> map) {
                documents.add((Map<String, Object>) map);
            }
        }
        return documents;
    }

    private static CustomResourceDefinition crd() throws IOException {
        return (CustomResourceDefinition) DeployManifestsTest.check("crds/", Files.readString(Path.of("crds/maiclients.mai.dev-v1.yml")), null)
                .objects().get(0);
    }

    /** deploy/ creates the Namespace and an empty management-key Secret; with Helm both exist before the install. */
    private static List<HasMetadata> installedBeforehandRemoved(List<HasMetadata> objects) {
        return objects.stream().filter(o -> !(o instanceof Namespace) && !(o instanceof Secret)).toList();
    }

    private static void assertSameObjects(List<HasMetadata> chart, List<HasMetadata> kustomize) {
        Map<String, String> fromChart = normalized(chart);
        Map<String, String> fromKustomize = normalized(kustomize);
        assertThat(fromChart.keySet()).as("objects").isEqualTo(fromKustomize.keySet());
        fromKustomize.forEach((key, yaml) -> assertThat(fromChart.get(key)).as(key).isEqualTo(yaml));
    }

    /** Each object as YAML by kind and name, without Helm's labels and keep policy, env sorted by name. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> normalized(List<HasMetadata> objects) {
        Map<String, String> result = new TreeMap<>();
        for (HasMetadata object : objects) {
            Map<String, Object> tree = DeployManifestsTest.STRICT.convertValue(object, Map.class);
            strip(tree);
            if (object instanceof CustomResourceDefinition) {
                // crds/ is the bare file kubectl applies; the chart's copy is labelled as a release object
                ((Map<String, Object>) tree.get("metadata")).remove("labels");
            }
            result.put(object.getKind() + " " + DeployManifestsTest.name(object), DeployManifestsTest.STRICT.asYaml(sorted(tree)).strip());
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static void strip(Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> m = (Map<String, Object>) map;
            for (String labels : List.of("labels", "matchLabels", "selector")) {
                if (m.get(labels) instanceof Map<?, ?> l) {
                    l.keySet().removeAll(HELM_LABELS);
                }
            }
            if (m.get("annotations") instanceof Map<?, ?> a) {
                a.remove("helm.sh/resource-policy");
                if (a.isEmpty()) {
                    m.remove("annotations");
                }
            }
            if (m.get("env") instanceof List<?> env) {
                ((List<Map<String, Object>>) env).sort(Comparator.comparing(e -> String.valueOf(e.get("name"))));
            }
            m.values().forEach(HelmChartTest::strip);
        } else if (node instanceof List<?> list) {
            list.forEach(HelmChartTest::strip);
        }
    }

    /** Maps with their keys in order (labels come out of Helm and Kustomize in different orders). */
    private static Object sorted(Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> result = new TreeMap<>();
            map.forEach((k, v) -> result.put(String.valueOf(k), sorted(v)));
            return result;
        }
        if (node instanceof List<?> list) {
            return list.stream().map(HelmChartTest::sorted).toList();
        }
        return node;
    }

    private static Deployment deployment(List<HasMetadata> objects) {
        return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow();
    }

    private static NetworkPolicy networkPolicy(List<HasMetadata> objects) {
        return objects.stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast).findFirst().orElseThrow();
    }

    private static String image(List<HasMetadata> objects) {
        return deployment(objects).getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    }

    private static Map<String, String> env(List<HasMetadata> objects) {
        return deployment(objects).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, e -> String.valueOf(e.getValue()), (a, b) -> b, TreeMap::new));
    }
}
