package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.cluster.RealApiServer;
import dev.mai.operator.testing.Helm;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * deploy/ as a cluster would get it: every manifest is valid for the typed Kubernetes model (no
 * misspelled field slips through), the Kustomize base and the namespaced overlay render, the
 * rendered operator has the production settings the project asks for, and both carry the per-namespace
 * cap on spending limits.
 */
class DeployManifestsTest {

    private static final Path DEPLOY = Path.of("deploy");
    private static final Path DOCKERFILE = Path.of("src/main/docker/Dockerfile.jvm");
    private static final Path IMAGE_SCRIPT = Path.of("build/image.sh");
    private static final String BASE = "deploy";
    private static final String NAMESPACED = "deploy/overlays/namespaced";
    private static final String CAP_POLICY_FILE = "spending-limit-cap.yaml";
    private static final String CAP_LABEL = "mai.dev/max-spending-limit";
    private static final String WATCHED_NAMESPACES = "QUARKUS_OPERATOR_SDK_CONTROLLERS_MAICLIENT_NAMESPACES";
    /** The base ClusterRole's rules a namespaced Role cannot grant: (apiGroup/resource). */
    private static final Set<String> CLUSTER_SCOPED = Set.of("/namespaces", "authorization.k8s.io/selfsubjectrulesreviews");
    /** Files that are patches (no apiVersion/kind), with the kind they patch. */
    private static final Map<Path, Class<? extends KubernetesResource>> PATCHES = Map.of(
            Path.of("deploy/argocd/argocd-cm-patch.yaml"), ConfigMap.class);

    /**
     * fabric8's serialization made strict where it is lenient: our MaiClient model ignores unknown
     * properties on purpose (a newer CRD must not stop the operator), so here ignoreUnknown is switched
     * off; and scalars are not coerced (the API server rejects `value: 10` for a string, Jackson would not).
     * fabric8's own classes keep unknown fields in additionalProperties, which {@link #unknownFields} reports.
     */
    static final KubernetesSerialization STRICT = strictSerialization();

    private static KubernetesSerialization strictSerialization() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.setAnnotationIntrospector(new JacksonAnnotationIntrospector() {
            @Override
            public JsonIgnoreProperties.Value findPropertyIgnoralByName(MapperConfig<?> config, Annotated a) {
                JsonIgnoreProperties.Value value = super.findPropertyIgnoralByName(config, a);
                return value == null ? null : value.withoutIgnoreUnknown();
            }
        });
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        for (CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        for (LogicalType type : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        KubernetesSerialization serialization = new KubernetesSerialization(mapper, true);
        serialization.registerKubernetesResource(MaiClient.class);
        return serialization;
    }

    // --- a: every manifest under deploy/ ------------------------------------------------------------

    @Test
    void everyManifestUnderDeployParsesIntoTheTypedModelWithNoUnknownField() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(DEPLOY)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(p -> !p.getFileName().toString().startsWith("kustomization."))
                    // templates are YAML only once rendered: HelmChartTest parses what helm renders
                    .filter(p -> !p.startsWith(Helm.CHART))
                    // promtool's unit tests of the alert rules, no manifest: PrometheusRulesTest runs them
                    .filter(p -> !p.startsWith(PrometheusRulesTest.UNIT_TESTS.getParent()))
                    .sorted().toList();
        }
        assertThat(files).contains(Path.of("deploy/operator/deployment.yaml"), Path.of("deploy/overlays/namespaced/roles.yaml"),
                Path.of("deploy/examples/maiclient-abc.yaml"), Path.of("deploy/argocd/application-example.yaml"),
                PrometheusRulesTest.RULE);
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            problems.addAll(check(file.toString(), Files.readString(file), PATCHES.get(file)).problems());
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void aMisspelledFieldIsReportedWithItsPath() {
        String manifest = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: typo
                  lables: {app: typo}
                spec:
                  selector: {matchLabels: {app: typo}}
                  template:
                    metadata: {labels: {app: typo}}
                    spec:
                      containers:
                        - name: app
                          image: app
                          securityContext:
                            readOnlyRootFileSystem: true
                """;
        assertThat(check("typo.yaml", manifest, null).problems()).containsExactlyInAnyOrder(
                "typo.yaml#0 Deployment typo: unknown field .metadata.lables",
                "typo.yaml#0 Deployment typo: unknown field .spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem");
    }

    @Test
    void aWrongKindOrAnUnquotedNumberForAStringIsReported() {
        String manifest = """
                apiVersion: app/v1
                kind: Deployment
                metadata: {name: wrong-group}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: number}
                data: {MAI_OPENROUTER_MAX_RPS: 10}
                """;
        assertThat(check("wrong.yaml", manifest, null).problems()).satisfiesExactly(
                p -> assertThat(p).startsWith("wrong.yaml#0").contains("no typed model for app/v1 Deployment"),
                p -> assertThat(p).startsWith("wrong.yaml#1").contains("MAI_OPENROUTER_MAX_RPS"));
    }

    /** Our model ignores unknown fields, as the operator must: the plain parse would not see this typo. */
    @Test
    void aMisspelledMaiClientFieldIsReportedThoughTheModelIgnoresUnknownFields() {
        String manifest = """
                apiVersion: mai.dev/v1alpha1
                kind: MaiClient
                metadata: {name: abc, namespace: tenant-abc}
                spec:
                  organizationName: ABC Company
                  spendingLimit: 100
                  limitRest: monthly
                """;
        assertThat(Serialization.unmarshal(manifest, MaiClient.class).getSpec().getLimitReset()).isNull();
        assertThat(check("typo.yaml", manifest, null).problems()).singleElement().asString().contains("limitRest");
    }

    /**
     * The strict parse above relies on the MaiClient model failing on unknown fields once ignoreUnknown
     * is off: a @JsonAnySetter anywhere in it would swallow them silently (outside additionalProperties).
     */
    @Test
    void theMaiClientModelHasNoAnySetter() {
        Set<Class<?>> model = new LinkedHashSet<>();
        modelClasses(MaiClient.class, model);
        assertThat(model).extracting(Class::getSimpleName).contains("MaiClient", "MaiClientSpec", "MaiClientStatus", "AppSpec");
        for (Class<?> type : model) {
            Stream<AnnotatedElement> members = Stream.concat(Arrays.stream(type.getDeclaredMethods()), Arrays.stream(type.getDeclaredFields()));
            assertThat(members).as(type.getName()).noneMatch(m -> m.isAnnotationPresent(JsonAnySetter.class));
        }
    }

    /** Our classes reachable from a type through its fields (and their type arguments). */
    private static void modelClasses(java.lang.reflect.Type type, Set<Class<?>> found) {
        if (type instanceof ParameterizedType parameterized) {
            modelClasses(parameterized.getRawType(), found);
            Arrays.stream(parameterized.getActualTypeArguments()).forEach(t -> modelClasses(t, found));
        } else if (type instanceof Class<?> c && c.getPackageName().startsWith("dev.mai.operator") && found.add(c)) {
            for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
                Arrays.stream(k.getDeclaredFields()).forEach(f -> modelClasses(f.getGenericType(), found));
                modelClasses(k.getGenericSuperclass(), found);
            }
        }
    }

    // --- b: the base and the overlay render -------------------------------------------------------

    @Test
    void theBaseRendersTheOperatorAndNothingElse() {
        assertThat(base()).extracting(HasMetadata::getKind).containsExactlyInAnyOrder("Namespace", "ServiceAccount",
                "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Secret", "Deployment", "Service", "PodDisruptionBudget",
                "NetworkPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
        assertThat(base()).allSatisfy(o -> assertThat(o.getMetadata().getLabels())
                .as("%s %s", o.getKind(), o.getMetadata().getName()).containsEntry("app.kubernetes.io/name", "mai-operator"));
    }

    // --- c: production settings of the rendered base ----------------------------------------------

    @Test
    void theOperatorRunsTwoReplicasUnprivilegedWithResourcesAndProbes() {
        Deployment deployment = one(base(), Deployment.class);
        assertThat(deployment.getMetadata().getNamespace()).isEqualTo("mai-system");
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext()).satisfies(sc -> {
            assertThat(sc.getRunAsNonRoot()).isTrue();
            assertThat(sc.getRunAsUser()).isEqualTo(185L);
            assertThat(sc.getFsGroup()).isEqualTo(185L);
            assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        });
        assertThat(pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution())
                .singleElement().satisfies(term -> {
                    assertThat(term.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname");
                    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                            .containsAllEntriesOf(term.getPodAffinityTerm().getLabelSelector().getMatchLabels());
                });
        Container container = operatorContainer(deployment);
        assertThat(container.getSecurityContext()).satisfies(sc -> {
            assertThat(sc.getRunAsNonRoot()).isTrue();
            assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
            assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
            assertThat(sc.getPrivileged()).isNotEqualTo(Boolean.TRUE);
            assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();
            assertThat(sc.getRunAsUser()).as("the pod's runAsUser applies").isNull();
        });
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsOnlyKeys("memory");
        assertThat(Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")))
                .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(container.getResources().getRequests().get("memory")));
        assertThat(probe(container.getLivenessProbe().getHttpGet(), container)).isEqualTo("/q/health/live");
        assertThat(probe(container.getReadinessProbe().getHttpGet(), container)).isEqualTo("/q/health/ready");
        assertThat(probe(container.getStartupProbe().getHttpGet(), container)).startsWith("/q/health/");
        // /tmp is the one writable place on the read-only root filesystem
        assertThat(container.getVolumeMounts()).filteredOn(m -> m.getMountPath().equals("/tmp")).singleElement()
                .satisfies(m -> assertThat(volume(pod, m.getName()).getEmptyDir()).isNotNull());
    }

    @Test
    void theManagementKeyFileIsInTheMountOfTheEmptySecretTemplate() throws IOException {
        String secretName = Serialization.unmarshal(Files.readString(Path.of("deploy/operator/management-key-secret.yaml")), Secret.class)
                .getMetadata().getName();
        Secret secret = one(base(), Secret.class);
        assertThat(secret.getMetadata().getName()).isEqualTo(secretName);
        assertThat(secret.getData()).as("the management key never goes into Git").isNullOrEmpty();
        assertThat(secret.getStringData()).isNullOrEmpty();

        Deployment deployment = one(base(), Deployment.class);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Volume volume = pod.getVolumes().stream().filter(v -> v.getSecret() != null && secretName.equals(v.getSecret().getSecretName()))
                .collect(onlyOne("Secret volume of " + secretName));
        // the whole Secret, so the kubelet updates the file; readable by the fsGroup, not by others
        assertThat(volume.getSecret().getItems()).isNullOrEmpty();
        assertThat(volume.getSecret().getDefaultMode()).isEqualTo(0440);
        Container container = operatorContainer(deployment);
        VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume.getName()))
                .collect(onlyOne("mount of volume " + volume.getName()));
        assertThat(mount.getReadOnly()).isTrue();
        assertThat(mount.getSubPath()).as("a subPath mount is never updated").isNull();
        String file = env(container, "MAI_PROVISIONING_KEY_FILE");
        assertThat(file).startsWith(mount.getMountPath() + "/");
        assertThat(file.substring(mount.getMountPath().length() + 1)).matches("[-._a-zA-Z0-9]+");
        assertThat(env(container, "MAI_PROVISIONING_KEY")).as("the key only as a file").isNull();
    }

    @Test
    void theMetricsServiceAndTheDisruptionBudgetSelectTheOperatorPods() {
        Deployment deployment = one(base(), Deployment.class);
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());

        Service service = one(base(), Service.class);
        assertThat(service.getMetadata().getName()).isEqualTo("mai-operator-metrics");
        assertThat(service.getMetadata().getNamespace()).isEqualTo(deployment.getMetadata().getNamespace());
        assertThat(service.getSpec().getSelector()).isNotEmpty();
        assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
        Container container = operatorContainer(deployment);
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getName()).isEqualTo("http-metrics");
            assertThat(containerPort(port.getTargetPort(), container)).isEqualTo(8080);
        });

        PodDisruptionBudget budget = one(base(), PodDisruptionBudget.class);
        assertThat(budget.getMetadata().getNamespace()).isEqualTo(deployment.getMetadata().getNamespace());
        assertThat(budget.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
        assertThat(podLabels).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
    }

    /**
     * /q/metrics carries every tenant's spend: only the scraper's namespace reaches the operator's HTTP
     * port, selected by the name label the API server sets (a label of one's own could be put on a
     * tenant's namespace). The probes use that port too; they come from the node, which NetworkPolicy admits.
     */
    @Test
    void onlyTheScrapersNamespaceReachesTheMetricsPortInTheBaseAndTheNamespacedOverlay() {
        for (String directory : List.of(BASE, NAMESPACED)) {
            List<HasMetadata> objects = rendered(directory);
            Deployment deployment = one(objects, Deployment.class);
            Container container = operatorContainer(deployment);
            NetworkPolicy policy = one(objects, NetworkPolicy.class);
            assertThat(policy.getMetadata().getNamespace()).as(directory).isEqualTo(deployment.getMetadata().getNamespace());
            assertThat(policy.getSpec().getPodSelector().getMatchLabels()).as(directory).isNotEmpty();
            assertThat(policy.getSpec().getPodSelector().getMatchExpressions()).isNullOrEmpty();
            assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).as("%s: the policy selects the operator pods", directory)
                    .containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
            assertThat(policy.getSpec().getPolicyTypes()).as(directory).containsExactly("Ingress");
            assertThat(policy.getSpec().getIngress()).as(directory).singleElement().satisfies(rule -> {
                assertThat(rule.getFrom()).as("%s: from exactly one peer (no from admits everyone)", directory).singleElement()
                        .satisfies((NetworkPolicyPeer peer) -> {
                            assertThat(peer.getIpBlock()).isNull();
                            assertThat(peer.getPodSelector()).isNull();
                            assertThat(peer.getNamespaceSelector().getMatchExpressions()).isNullOrEmpty();
                            assertThat(peer.getNamespaceSelector().getMatchLabels())
                                    .containsExactly(Map.entry("kubernetes.io/metadata.name", "monitoring"));
                        });
                assertThat(rule.getPorts()).as(directory).singleElement().satisfies(port -> {
                    assertThat(containerPort(port.getPort(), container)).isEqualTo(8080);
                    assertThat(port.getProtocol()).isEqualTo("TCP");
                });
            });
            Service metrics = one(objects, Service.class);
            assertThat(containerPort(metrics.getSpec().getPorts().get(0).getTargetPort(), container)).isEqualTo(8080);
            // the probes go to the same port: they pass because they come from the node (docs/install.md)
            assertThat(List.of(container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe()))
                    .allSatisfy(probe -> assertThat(containerPort(probe.getHttpGet().getPort(), container)).isEqualTo(8080));
        }
    }

    /** The patch docs/install.md and the manifest show for another scraper namespace works on the shipped policy. */
    @Test
    void theDocumentedPatchMovesTheScraperNamespaceAndChangesNothingElse() throws IOException {
        Path overlay = Path.of("target/network-policy-patch");
        Files.createDirectories(overlay);
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                resources:
                  - ../../deploy
                patches:
                  - target: {kind: NetworkPolicy, name: mai-operator-metrics}
                    patch: |-
                      - op: replace
                        path: /spec/ingress/0/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name
                        value: prometheus
                """);
        List<HasMetadata> patched = rendered(overlay.toString());
        NetworkPolicy policy = one(patched, NetworkPolicy.class);
        assertThat(policy.getSpec().getIngress().get(0).getFrom().get(0).getNamespaceSelector().getMatchLabels())
                .containsExactly(Map.entry("kubernetes.io/metadata.name", "prometheus"));
        Map<String, HasMetadata> base = byKey(base());
        Map<String, HasMetadata> changed = byKey(patched);
        policy.getSpec().getIngress().get(0).getFrom().get(0).getNamespaceSelector().getMatchLabels().put("kubernetes.io/metadata.name", "monitoring");
        base.forEach((key, object) -> assertThat(STRICT.asJson(changed.get(key))).as(key).isEqualTo(STRICT.asJson(object)));
    }

    @Test
    void everyBindingGrantsToTheDeploymentsServiceAccount() {
        Deployment deployment = one(base(), Deployment.class);
        String namespace = deployment.getMetadata().getNamespace();
        String account = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
        ServiceAccount serviceAccount = one(base(), ServiceAccount.class);
        assertThat(serviceAccount.getMetadata().getName()).isEqualTo(account);
        assertThat(serviceAccount.getMetadata().getNamespace()).isEqualTo(namespace);

        ClusterRoleBinding clusterBinding = one(base(), ClusterRoleBinding.class);
        assertThat(clusterBinding.getRoleRef().getName()).isEqualTo(one(base(), ClusterRole.class).getMetadata().getName());
        assertThat(clusterBinding.getSubjects()).singleElement().satisfies(s -> assertServiceAccount(s, namespace, account));
        RoleBinding binding = one(base(), RoleBinding.class);
        Role role = one(base(), Role.class);
        assertThat(binding.getMetadata().getNamespace()).isEqualTo(namespace);
        assertThat(role.getMetadata().getNamespace()).isEqualTo(namespace);
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertServiceAccount(s, namespace, account));
    }

    @Test
    void theImageIsTheKustomizationsAndRunsAsTheDockerfilesUser() throws IOException {
        Map<String, Object> image = kustomizationImage(Path.of("deploy/kustomization.yaml"));
        String version = firstGroup(Files.readString(Path.of("pom.xml")), "<version>([^<]+)</version>");
        assertThat(image).containsEntry("newName", "mai-operator").containsEntry("newTag", version);
        assertThat(Files.readString(Path.of("Makefile"))).contains("IMAGE ?= mai-operator:" + version);
        Deployment source = Serialization.unmarshal(Files.readString(Path.of("deploy/operator/deployment.yaml")), Deployment.class);
        assertThat(operatorContainer(source).getImage()).isEqualTo(image.get("name"));
        Deployment deployment = one(base(), Deployment.class);
        assertThat(operatorContainer(deployment).getImage()).isEqualTo("mai-operator:" + version);

        String dockerfile = Files.readString(DOCKERFILE);
        List<String> users = Pattern.compile("(?m)^USER\\s+(\\S+)").matcher(dockerfile).results().map(r -> r.group(1)).toList();
        assertThat(users).isNotEmpty();
        PodSecurityContext pod = deployment.getSpec().getTemplate().getSpec().getSecurityContext();
        assertThat(users.get(users.size() - 1)).isEqualTo(pod.getRunAsUser() + ":" + pod.getRunAsGroup());
        assertThat(firstGroup(Files.readString(IMAGE_SCRIPT), "(?m)^USER_ID=(\\d+)$")).isEqualTo(String.valueOf(pod.getRunAsUser()));
        // the informer cache holds every tenant's key
        assertThat(dockerfile.lines().filter(l -> !l.startsWith("#"))).noneMatch(l -> l.contains("+HeapDumpOnOutOfMemoryError"));
        assertThat(operatorContainer(deployment).getEnv()).noneMatch(e -> String.valueOf(e.getValue()).contains("HeapDump"));
        // the image runs java directly: settings of other images' launch scripts (run-java.sh) would mean nothing
        assertThat(operatorContainer(deployment).getEnv()).extracting(EnvVar::getName)
                .noneMatch(n -> n.startsWith("JAVA_") && !n.equals("JAVA_TOOL_OPTIONS"));
    }

    @Test
    void theDockerfileAndTheImageScriptBuildTheSameImage() throws IOException {
        String dockerfile = Files.readString(DOCKERFILE);
        String script = Files.readString(IMAGE_SCRIPT);
        List<String> dockerEntrypoint = new ObjectMapper().readValue(firstGroup(dockerfile, "(?m)^ENTRYPOINT\\s+(\\[.*\\])$"),
                new TypeReference<List<String>>() { });
        List<String> scriptEntrypoint = Arrays.asList(firstGroup(script, "(?s)\\nENTRYPOINT=\\(([^)]*)\\)").strip().split("\\s+"));
        assertThat(dockerEntrypoint).isEqualTo(scriptEntrypoint).startsWith("/usr/bin/java").endsWith("-jar", "/deployments/quarkus-run.jar");
        assertThat(script.lines().filter(l -> !l.strip().startsWith("#"))).noneMatch(l -> l.contains("+HeapDumpOnOutOfMemoryError"));

        String userId = firstGroup(script, "(?m)^USER_ID=(\\d+)$");
        assertThat(firstGroup(dockerfile, "(?m)^USER\\s+(\\S+)$")).isEqualTo(userId + ":" + userId);
        assertThat(script).contains("--user \"${USER_ID}:${USER_ID}\"", "--owner=0 --group=0");
        assertThat(dockerfile).contains("groupadd --gid " + userId + " mai-operator", "useradd --uid " + userId + " --gid " + userId);
        assertThat(script).contains("groupadd --gid \"${USER_ID}\" mai-operator", "useradd --uid \"${USER_ID}\" --gid \"${USER_ID}\"");
        assertThat(firstGroup(dockerfile, "(?m)^WORKDIR\\s+(\\S+)$")).isEqualTo("/deployments");
        assertThat(script).contains("--workdir /deployments", "--exposed-ports 8080/tcp", "--env LANG=C.UTF-8");
        assertThat(dockerfile).contains("ENV LANG=C.UTF-8", "EXPOSE 8080", "FROM debian:bookworm-slim",
                "--no-install-recommends openjdk-17-jre-headless");
        assertThat(script).contains("SUITE=bookworm", "PACKAGES=openjdk-17-jre-headless");
    }

    // --- d: the namespaced overlay ----------------------------------------------------------------

    @Test
    void theNamespacedOverlayGrantsTheNamespacedRulesInExactlyTheWatchedNamespaces() {
        List<HasMetadata> overlay = rendered(NAMESPACED);
        Deployment deployment = one(overlay, Deployment.class);
        // the one cluster-wide grant: list and watch Namespaces (the spending caps' informer), bound to the operator
        ClusterRole reader = one(overlay, ClusterRole.class);
        assertThat(reader.getMetadata().getName()).isEqualTo("mai-operator-namespaces");
        assertThat(triples(reader.getRules())).containsExactlyInAnyOrder("/namespaces list", "/namespaces watch");
        ClusterRoleBinding readerBinding = one(overlay, ClusterRoleBinding.class);
        assertThat(readerBinding.getRoleRef().getName()).isEqualTo("mai-operator-namespaces");
        assertThat(readerBinding.getSubjects()).singleElement().satisfies(s -> assertServiceAccount(s,
                deployment.getMetadata().getNamespace(), deployment.getSpec().getTemplate().getSpec().getServiceAccountName()));
        String watched = env(operatorContainer(deployment), WATCHED_NAMESPACES);
        assertThat(watched).isNotBlank();
        Set<String> namespaces = Arrays.stream(watched.split(",")).map(String::strip).collect(Collectors.toCollection(TreeSet::new));
        assertThat(env(operatorContainer(deployment), "MAI_DEFAULT_KEY_NAMESPACES"))
                .as("MAI_DEFAULT_KEY_NAMESPACES reads namespaces cluster-wide").isNull();

        String operatorNamespace = deployment.getMetadata().getNamespace();
        Map<String, Role> roles = all(overlay, Role.class).stream().filter(r -> !r.getMetadata().getNamespace().equals(operatorNamespace))
                .collect(Collectors.toMap(r -> r.getMetadata().getNamespace(), r -> r));
        Map<String, RoleBinding> bindings = all(overlay, RoleBinding.class).stream()
                .filter(b -> !b.getMetadata().getNamespace().equals(operatorNamespace))
                .collect(Collectors.toMap(b -> b.getMetadata().getNamespace(), b -> b));
        assertThat(roles.keySet()).isEqualTo(namespaces);
        assertThat(bindings.keySet()).isEqualTo(namespaces);

        Set<String> namespaced = triples(one(base(), ClusterRole.class).getRules()).stream()
                .filter(t -> !CLUSTER_SCOPED.contains(t.substring(0, t.indexOf(' ')))).collect(Collectors.toCollection(TreeSet::new));
        String account = deployment.getSpec().getTemplate().getSpec().getServiceAccountName();
        for (String namespace : namespaces) {
            assertThat(triples(roles.get(namespace).getRules())).as("Role in %s", namespace).isEqualTo(namespaced);
            RoleBinding binding = bindings.get(namespace);
            assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
            assertThat(binding.getRoleRef().getName()).isEqualTo(roles.get(namespace).getMetadata().getName());
            assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertServiceAccount(s, operatorNamespace, account));
        }
        // the operator's own namespace keeps its Role (installation id, leader election)
        Role own = all(overlay, Role.class).stream().filter(r -> r.getMetadata().getNamespace().equals(operatorNamespace))
                .collect(onlyOne("Role in " + operatorNamespace));
        assertThat(triples(own.getRules())).isEqualTo(triples(one(base(), Role.class).getRules()));
    }

    /** The overlay builds on deploy/operator, not on deploy/: apart from what it changes, it must render the base. */
    @Test
    void theNamespacedOverlayChangesOnlyTheRbacAndTheWatchedNamespaces() {
        assertThat(kustomizationImage(Path.of(NAMESPACED, "kustomization.yaml"))).as("the overlay's images entry")
                .isEqualTo(kustomizationImage(Path.of("deploy/kustomization.yaml")));
        Map<String, HasMetadata> base = byKey(base());
        Map<String, HasMetadata> overlay = byKey(rendered(NAMESPACED));
        base.keySet().removeIf(k -> k.startsWith("ClusterRole"));
        overlay.keySet().removeIf(k -> k.startsWith("ClusterRole")); // the namespace reader, checked above
        Deployment deployment = (Deployment) overlay.get("Deployment mai-system/mai-operator");
        operatorContainer(deployment).getEnv().removeIf(e -> e.getName().equals(WATCHED_NAMESPACES));
        base.forEach((key, object) -> assertThat(STRICT.asJson(overlay.get(key))).as(key).isEqualTo(STRICT.asJson(object)));
    }

    // --- e: the per-namespace cap on spending limits ------------------------------------------------

    /**
     * The policy that caps spec.spendingLimit per namespace is in the base and, unchanged, in the namespaced
     * overlay (caps matter there too); it fails closed, judges creates and updates of maiclients but not
     * their status, and its binding denies in exactly the namespaces that carry the label, whatever its value.
     * What the policy decides is proven on a real API server (cluster/SpendingLimitCapIT).
     */
    @Test
    void theSpendingLimitCapIsInTheBaseAndTheOverlayAndItsBindingSelectsNamespacesByTheLabel() throws IOException {
        assertThat(Files.readAllLines(Path.of("deploy/operator/kustomization.yaml"))).contains("  - " + CAP_POLICY_FILE);
        for (String directory : List.of(BASE, NAMESPACED)) {
            List<HasMetadata> objects = rendered(directory);
            ValidatingAdmissionPolicy policy = one(objects, ValidatingAdmissionPolicy.class);
            ValidatingAdmissionPolicyBinding binding = one(objects, ValidatingAdmissionPolicyBinding.class);
            assertThat(STRICT.asJson(policy)).as(directory).isEqualTo(STRICT.asJson(one(base(), ValidatingAdmissionPolicy.class)));
            assertThat(policy.getMetadata().getName()).isEqualTo("mai-spending-limit-cap");
            assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Fail");
            assertThat(policy.getSpec().getMatchConstraints().getResourceRules()).singleElement().satisfies(rule -> {
                assertThat(rule.getApiGroups()).containsExactly("mai.dev");
                assertThat(rule.getResources()).as("maiclients, not maiclients/status").containsExactly("maiclients");
                assertThat(rule.getOperations()).containsExactlyInAnyOrder("CREATE", "UPDATE");
            });
            assertThat(policy.getSpec().getValidations()).isNotEmpty().allSatisfy(v -> {
                assertThat(v.getMessageExpression()).contains(CAP_LABEL).contains("request.namespace");
                assertThat(v.getReason()).isEqualTo("Forbidden");
            });
            assertThat(binding.getSpec().getPolicyName()).isEqualTo(policy.getMetadata().getName());
            assertThat(binding.getSpec().getValidationActions()).containsExactly("Deny");
            assertThat(binding.getSpec().getMatchResources().getNamespaceSelector().getMatchLabels()).isNullOrEmpty();
            assertThat(binding.getSpec().getMatchResources().getNamespaceSelector().getMatchExpressions()).singleElement()
                    .satisfies(e -> {
                        assertThat(e.getKey()).isEqualTo(CAP_LABEL);
                        assertThat(e.getOperator()).isEqualTo("Exists");
                    });
        }
        // the file as shipped, which the cluster test applies with kubectl apply -f, is the one rendered
        List<HasMetadata> file = check(CAP_POLICY_FILE, Files.readString(Path.of("deploy/operator", CAP_POLICY_FILE)), null).objects();
        assertThat(file).extracting(HasMetadata::getKind).containsExactly("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
    }

    // --- parsing --------------------------------------------------------------------------------------

    record Checked(List<HasMetadata> objects, List<String> problems) {
    }

    /**
     * Every document of a YAML text as the typed model: fabric8's class for its apiVersion/kind, or
     * {@code patchOf} for a patch without them. Problems: a document that does not parse, has no typed
     * model, or carries fields the model does not know.
     */
    @SuppressWarnings("unchecked")
    static Checked check(String source, String yaml, Class<? extends KubernetesResource> patchOf) {
        List<HasMetadata> objects = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int index = 0;
        for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
            String where = source + "#" + index++;
            if (document == null) {
                continue;
            }
            if (!(document instanceof Map<?, ?>)) {
                problems.add(where + ": not a mapping");
                continue;
            }
            Map<String, Object> map = (Map<String, Object>) document;
            try {
                if (patchOf != null) {
                    collect(where + " patch of " + patchOf.getSimpleName() + ": unknown field ", STRICT.convertValue(map, patchOf), problems);
                } else if (String.valueOf(map.get("apiVersion")).startsWith("argoproj.io/")
                        || String.valueOf(map.get("apiVersion")).startsWith("monitoring.coreos.com/")) {
                    // Argo CD's and the Prometheus Operator's kinds have no typed model here: only apiVersion, kind and metadata are checked
                    GenericKubernetesResource generic = STRICT.convertValue(map, GenericKubernetesResource.class);
                    if (generic.getKind() == null || generic.getMetadata() == null || generic.getMetadata().getName() == null) {
                        problems.add(where + ": no kind or metadata.name");
                    }
                    collect(where + " " + generic.getKind() + " " + generic.getMetadata().getName() + ": unknown field .metadata",
                            generic.getMetadata(), problems);
                } else {
                    KubernetesResource typed = STRICT.convertValue(map, KubernetesResource.class);
                    if (!(typed instanceof HasMetadata object) || typed instanceof GenericKubernetesResource) {
                        problems.add(where + ": no typed model for " + map.get("apiVersion") + " " + map.get("kind"));
                        continue;
                    }
                    objects.add(object);
                    collect(where + " " + object.getKind() + " " + name(object) + ": unknown field ", object, problems);
                }
            } catch (IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage().replaceAll("\\s+", " "));
            }
        }
        return new Checked(objects, problems);
    }

    private static void collect(String prefix, Object object, List<String> problems) {
        unknownFields(object).forEach(path -> problems.add(prefix + path));
    }

    static String name(HasMetadata object) {
        String namespace = object.getMetadata().getNamespace();
        return (namespace == null ? "" : namespace + "/") + object.getMetadata().getName();
    }

    /**
     * The paths of every field fabric8's model did not know. Its classes do not fail on unknown fields:
     * they keep them in additionalProperties (@JsonAnySetter), so the parsed object graph is walked
     * through its getters and every non-empty getAdditionalProperties() reported.
     */
    static List<String> unknownFields(Object root) {
        List<String> found = new ArrayList<>();
        walk("", root, found, Collections.newSetFromMap(new IdentityHashMap<>()));
        return found;
    }

    private static void walk(String path, Object value, List<String> found, Set<Object> seen) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object element : list) {
                walk(path + "[" + i++ + "]", element, found, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, element) -> walk(path + "[" + key + "]", element, found, seen));
            return;
        }
        if (!isModel(value.getClass()) || !seen.add(value)) {
            return;
        }
        for (Method getter : getters(value.getClass())) {
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException(path + ": " + getter, e);
            }
            // (a CRD's JSONSchemaProps has a schema field of that name, not a Map: walked like any field)
            if (getter.getName().equals("getAdditionalProperties") && (child == null || child instanceof Map<?, ?>)) {
                if (child != null) {
                    ((Map<?, ?>) child).keySet().forEach(key -> found.add(path + "." + key));
                }
            } else {
                walk(path + "." + property(getter), child, found, seen);
            }
        }
    }

    private static boolean isModel(Class<?> type) {
        String pkg = type.getPackageName();
        return pkg.startsWith("io.fabric8.kubernetes.api.model") || pkg.startsWith("dev.mai.operator");
    }

    /** Public getters that can lead to model objects (others, such as getters of strings, are skipped). */
    private static List<Method> getters(Class<?> type) {
        return Arrays.stream(type.getMethods())
                .filter(m -> !Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0)
                .filter(m -> m.getName().startsWith("get") && m.getName().length() > 3)
                .filter(m -> {
                    Class<?> r = m.getReturnType();
                    return r == Object.class || isModel(r) || Collection.class.isAssignableFrom(r) || Map.class.isAssignableFrom(r);
                })
                .sorted(Comparator.comparing(Method::getName))
                .toList();
    }

    private static String property(Method getter) {
        String name = getter.getName().substring(3);
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }

    // --- rendering ------------------------------------------------------------------------------------

    private static final Map<String, List<HasMetadata>> RENDERED = new LinkedHashMap<>();

    private static List<HasMetadata> base() {
        return rendered(BASE);
    }

    /** kubectl kustomize of a directory, parsed (and checked like the files); cached per directory. */
    static synchronized List<HasMetadata> rendered(String directory) {
        List<HasMetadata> cached = RENDERED.get(directory);
        if (cached == null) {
            Checked checked = check("kubectl kustomize " + directory, kustomize(directory), null);
            assertThat(checked.problems()).as("rendered " + directory).isEmpty();
            cached = checked.objects();
            RENDERED.put(directory, cached);
        }
        // a fresh copy per test: tests may change what they get
        return cached.stream().map(STRICT::clone).toList();
    }

    /**
     * {@code kubectl kustomize} with the kubectl build/control-plane.sh builds (v1.36.3, the version the
     * real-API-server tier runs), not whatever kubectl is on PATH: the render is the one that release gives.
     */
    static String kustomize(String directory) {
        Path kubectl = RealApiServer.binDir().resolve("kubectl");
        if (!Files.isExecutable(kubectl)) {
            return fail("rendering deploy/ needs the kubectl built from Go modules, missing at " + kubectl + ": build it with "
                    + "build/control-plane.sh (make test does), or point " + RealApiServer.BIN_ENV + " at its directory");
        }
        Process process;
        File errors;
        try {
            errors = File.createTempFile("kustomize", ".err");
            errors.deleteOnExit();
            process = new ProcessBuilder(kubectl.toString(), "kustomize", directory).directory(new File("."))
                    .redirectError(errors).start();
        } catch (IOException e) {
            return fail(kubectl + " kustomize " + directory, e);
        }
        try {
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                return fail("kubectl kustomize " + directory + " did not finish in 2 minutes");
            }
            assertThat(process.exitValue()).as("kubectl kustomize %s: %s", directory, Files.readString(errors.toPath())).isZero();
            return out;
        } catch (IOException | InterruptedException e) {
            return fail("kubectl kustomize " + directory, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> kustomizationImage(Path kustomization) {
        try {
            Map<String, Object> doc = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(kustomization));
            return ((List<Map<String, Object>>) doc.get("images")).stream().filter(i -> "mai-operator".equals(i.get("name")))
                    .collect(onlyOne("images entry mai-operator in " + kustomization));
        } catch (IOException e) {
            return fail(kustomization.toString(), e);
        }
    }

    // --- small helpers --------------------------------------------------------------------------------

    private static <T> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static <T> T one(List<HasMetadata> objects, Class<T> type) {
        return all(objects, type).stream().collect(onlyOne(type.getSimpleName()));
    }

    private static <T> java.util.stream.Collector<T, ?, T> onlyOne(String what) {
        return Collectors.collectingAndThen(Collectors.toList(), list -> {
            assertThat(list).as("exactly one " + what).hasSize(1);
            return list.get(0);
        });
    }

    private static Map<String, HasMetadata> byKey(List<HasMetadata> objects) {
        Map<String, HasMetadata> map = new LinkedHashMap<>();
        objects.forEach(o -> map.put(o.getKind() + " " + name(o), o));
        return map;
    }

    private static Container operatorContainer(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals("operator"))
                .collect(onlyOne("container operator"));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).collect(onlyOne("volume " + name));
    }

    private static String env(Container container, String name) {
        return container.getEnv() == null ? null
                : container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }

    /** The probe's path, after checking that it probes the container's own port. */
    private static String probe(HTTPGetAction get, Container container) {
        assertThat(containerPort(get.getPort(), container)).as("probe port %s", get.getPort()).isNotNull();
        return get.getPath();
    }

    /** The container port a port reference (number or name) points at, or null. */
    private static Integer containerPort(IntOrString port, Container container) {
        return container.getPorts().stream()
                .filter(p -> port.getIntVal() != null ? port.getIntVal().equals(p.getContainerPort()) : port.getStrVal().equals(p.getName()))
                .map(p -> p.getContainerPort()).findFirst().orElse(null);
    }

    private static void assertServiceAccount(Subject subject, String namespace, String name) {
        assertThat(subject.getKind()).isEqualTo("ServiceAccount");
        assertThat(subject.getNamespace()).isEqualTo(namespace);
        assertThat(subject.getName()).isEqualTo(name);
    }

    /** A role's rules as "apiGroup/resource verb" entries. */
    private static Set<String> triples(List<PolicyRule> rules) {
        Set<String> triples = new TreeSet<>();
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        triples.add(group + "/" + resource + " " + verb);
                    }
                }
            }
        }
        return triples;
    }

    private static String firstGroup(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        assertThat(matcher.find()).as(regex).isTrue();
        return matcher.group(1);
    }
}
