package dev.mai.operator.cluster;

import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.bench.Measures;
import dev.mai.operator.ha.Leadership;
import dev.mai.operator.reconciler.DigestKey;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The operator installed on the JVM's real API server ({@link RealApiServer}) as a user installs
 * it: the CRD from {@code crds/} and a Kustomize directory of {@code deploy/} rendered by the built
 * kubectl and applied with {@code kubectl apply} as the cluster's admin. The packaged operator then
 * runs as a process with a token of the ServiceAccount {@code deploy/} creates (TokenRequest API), in
 * a kubeconfig holding nothing else: whatever it does, RBAC judges it by {@code deploy/}'s roles.
 * Its environment is the rendered Deployment's, with the test's shorter intervals on top.
 *
 * <p>On the bare API server there are no controllers (no garbage collector, namespaces never finish
 * deleting), so one installation is cleaned up by hand before the next (on a {@link WholeCluster} too,
 * where the garbage collector then removes what the MaiClients owned): the MaiClients (finalizers
 * stripped), the Secrets the operator manages, the roles and bindings, and what the operator keeps
 * in its namespace (installation id, digest key, Lease).
 */
public final class InstalledOperator implements AutoCloseable {

    static final Path CRD = Path.of("crds/maiclients.mai.dev-v1.yml");
    public static final String NAMESPACE = "mai-system";
    public static final String SERVICE_ACCOUNT = "mai-operator";
    static final String CONTAINER = "operator";
    /** The label every object of deploy/ carries. */
    private static final String NAME_LABEL = "app.kubernetes.io/name";
    /**
     * What RBAC denials look like in the operator's log and conditions: the API server's "is forbidden"
     * (fabric8 quotes it, "Forbidden!" too) and a 403 the operator reports ("HTTP 403", "code=403"). Not a
     * bare 403: a log line's timestamp ends in .403 once in a thousand.
     */
    /** The one refusal a test asks for (OperatorRbacIT's admission policy on a tenant's Secret): not an RBAC denial. */
    static final String EXPECTED_REFUSAL = "ValidatingAdmissionPolicy 'no-mai-secrets'";
    static final Pattern FORBIDDEN = Pattern.compile("(?i)\\bforbidden\\b|HTTP 403\\b|code[=:] ?403\\b");

    private final KubernetesClient admin;
    private final Kubectl kubectl;
    private final Path work;
    private List<HasMetadata> applied;
    private final Path kubeconfig;
    private final List<OperatorProcess> started = new ArrayList<>();

    private InstalledOperator(KubernetesClient admin, Kubectl kubectl, Path work,
            List<HasMetadata> applied, Path kubeconfig) {
        this.admin = admin;
        this.kubectl = kubectl;
        this.work = work;
        this.applied = applied;
        this.kubeconfig = kubeconfig;
    }

    /**
     * Installs the CRD and {@code kustomizeDirectory} (rendered, then {@code change}d: the identity for
     * deploy/ as it is) with the tenants' namespaces, and writes the operator's ServiceAccount kubeconfig.
     */
    static InstalledOperator install(String kustomizeDirectory, UnaryOperator<List<HasMetadata>> change, Path work,
            List<String> tenants) throws IOException {
        return install(RealApiServer.get(), kustomizeDirectory, change, work, tenants);
    }

    /** The same on {@code server}: the JVM's {@link RealApiServer} or its {@link WholeCluster}. */
    public static InstalledOperator install(RealApiServer.Started server, String kustomizeDirectory,
            UnaryOperator<List<HasMetadata>> change, Path work, List<String> tenants) throws IOException {
        Kubectl kubectl = prepare(server, work, tenants);
        KubernetesClient admin = server.client();
        kubectl.run("apply", "-f", CRD.toString()).ok();
        kubectl.run("wait", "--for=condition=Established", "crd/maiclients.mai.dev", "--timeout=60s").ok();
        String rendered = Kubectl.offline().run("kustomize", kustomizeDirectory).ok();
        List<HasMetadata> objects = change.apply(parse(admin, rendered));
        String manifests = objects.stream().map(o -> admin.getKubernetesSerialization().asYaml(o)).collect(Collectors.joining("\n"));
        Path file = Files.writeString(work.resolve("deploy.yaml"), manifests);
        kubectl.run("apply", "-f", file.toString()).ok();
        return installed(server, work, objects);
    }

    /**
     * Before an installation: what an earlier one left removed ({@link #clean}), the tenants' namespaces
     * there, and the admin's kubeconfig in {@code work}; returns the built kubectl with it.
     */
    static Kubectl prepare(RealApiServer.Started server, Path work, List<String> tenants) throws IOException {
        Files.createDirectories(work);
        Path adminConfig = Files.writeString(work.resolve("admin.kubeconfig"), server.kubeConfigYaml());
        try (KubernetesClient admin = server.client()) {
            clean(admin);
            for (String tenant : tenants) {
                if (admin.namespaces().withName(tenant).get() == null) {
                    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(tenant).endMetadata().build()).create();
                }
            }
        }
        return Kubectl.of(adminConfig);
    }

    /**
     * An installation whose objects {@code objects} are on {@code server} (applied here, or by helm:
     * HelmInstallIT): a kubeconfig with a token of its ServiceAccount in {@code work}.
     */
    static InstalledOperator installed(RealApiServer.Started server, Path work, List<HasMetadata> objects) throws IOException {
        Kubectl kubectl = Kubectl.of(work.resolve("admin.kubeconfig"));
        KubernetesClient admin = server.client();
        TokenRequest token = admin.serviceAccounts().inNamespace(NAMESPACE).withName(SERVICE_ACCOUNT).tokenRequest(
                new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build());
        Path kubeconfig = Files.writeString(work.resolve("operator.kubeconfig"),
                serviceAccountKubeconfig(server.kubeConfigYaml(), token.getStatus().getToken()));
        return new InstalledOperator(admin, kubectl, work, objects, kubeconfig);
    }

    /** The objects of a multi-document YAML text, as fabric8's model. */
    static List<HasMetadata> parse(KubernetesClient client, String yaml) {
        return new ArrayList<>(client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items());
    }

    /**
     * A kubeconfig with the server and CA of the admin's but the ServiceAccount's bearer token and
     * no client certificate, in the operator's namespace (the operator's own, as in its pod).
     */
    private static String serviceAccountKubeconfig(String adminKubeconfig, String token) {
        Config config = Config.fromKubeconfig(adminKubeconfig);
        String ca = config.getCaCertData() != null ? "certificate-authority-data: " + config.getCaCertData()
                : "certificate-authority: " + config.getCaCertFile();
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: real
                  cluster:
                    server: %s
                    %s
                users:
                - name: system:serviceaccount:%s:%s
                  user:
                    token: %s
                contexts:
                - name: operator
                  context: {cluster: real, user: "system:serviceaccount:%s:%s", namespace: %s}
                current-context: operator
                """.formatted(config.getMasterUrl(), ca, NAMESPACE, SERVICE_ACCOUNT, token, NAMESPACE, SERVICE_ACCOUNT, NAMESPACE);
    }

    public KubernetesClient admin() {
        return admin;
    }

    /** The built kubectl with the admin's kubeconfig: what the cluster's user runs. */
    Kubectl kubectl() {
        return kubectl;
    }

    /** What was applied (after the change). */
    List<HasMetadata> applied() {
        return applied;
    }

    /** What is installed now, after an upgrade: the environment of processes started from now on. */
    void reapplied(List<HasMetadata> objects) {
        this.applied = objects;
    }

    /**
     * Starts the packaged operator as the pod {@code pod} of the Deployment would run: its container's
     * environment from the rendered manifests, the ServiceAccount kubeconfig, the management key in a
     * file, and {@code overrides} (shorter intervals) on top.
     */
    OperatorProcess start(OpenRouterSimulator openRouter, String pod, Map<String, String> overrides) throws IOException {
        Map<String, String> env = environment(openRouter, pod, overrides);
        OperatorProcess process = OperatorProcess.start(env, work.resolve(pod + ".log"));
        started.add(process);
        return process;
    }

    /**
     * The environment {@link #start} runs the pod {@code pod} with (a new management key of
     * {@code openRouter} included): for a caller that starts and restarts the process itself (make bench).
     */
    public Map<String, String> environment(OpenRouterSimulator openRouter, String pod, Map<String, String> overrides) throws IOException {
        Map<String, String> env = new LinkedHashMap<>(deploymentEnvironment());
        env.putAll(OperatorProcess.environment(kubeconfig, openRouter, work));
        env.put("HOSTNAME", pod);
        env.putAll(overrides);
        return env;
    }

    private Map<String, String> deploymentEnvironment() {
        Deployment deployment = applied.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> NAMESPACE.equals(d.getMetadata().getNamespace())).findFirst().orElseThrow();
        Map<String, String> env = new LinkedHashMap<>();
        deployment.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> CONTAINER.equals(c.getName()))
                .findFirst().orElseThrow().getEnv().stream().filter(e -> e.getValue() != null)
                .forEach((EnvVar e) -> env.put(e.getName(), e.getValue()));
        return env;
    }

    /** The installation id the operator generated into its ConfigMap (deploy/ sets none), or null before. */
    String installationId() {
        ConfigMap map = admin.configMaps().inNamespace(NAMESPACE).withName(InstallationId.CONFIG_MAP).get();
        return map == null || map.getData() == null ? null : map.getData().get(InstallationId.DATA_KEY);
    }

    /** Who holds the operator's leader-election Lease, or null while there is none. */
    String leaseHolder() {
        String id = installationId();
        Lease lease = id == null ? null : admin.resources(Lease.class).inNamespace(NAMESPACE).withName(Leadership.LEASE_PREFIX + id).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** Completed validation sweeps, from the operator's /q/metrics. */
    static double completeSweeps(OperatorProcess operator) throws IOException, InterruptedException {
        String metrics = operator.get("/q/metrics").body();
        return metrics.lines().filter(l -> l.startsWith("mai_sweep_duration_seconds_count{") && l.contains("outcome=\"complete\""))
                .mapToDouble(l -> Measures.prometheusSum(l, "mai_sweep_duration_seconds_count")).sum();
    }

    /** Waits for {@code n} more complete sweeps than now: the counted stretch "nothing happened" is judged over. */
    static void awaitSweeps(OperatorProcess operator, int n) throws IOException, InterruptedException {
        // (a process just started has no HTTP port yet: waited for)
        double before = await().atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() -> completeSweeps(operator), sweeps -> true);
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() -> completeSweeps(operator) >= before + n);
    }

    /** Every line of the operator's log in which the API server refused it (403, "is forbidden"). */
    static List<String> forbidden(OperatorProcess operator) throws IOException {
        return Files.readString(operator.log()).lines().filter(l -> FORBIDDEN.matcher(l).find())
                .filter(l -> !l.contains(EXPECTED_REFUSAL)).toList();
    }

    /** Stops the operators, then removes what the installation and its MaiClients left. */
    @Override
    public void close() {
        started.forEach(OperatorProcess::close);
        clean(admin);
        admin.close();
    }

    /** Removes every MaiClient (finalizers stripped: no operator runs them), managed Secret, role and operator state. */
    private static void clean(KubernetesClient admin) {
        if (admin.apiextensions().v1().customResourceDefinitions().withName("maiclients.mai.dev").get() != null) {
            for (MaiClient mc : admin.resources(MaiClient.class).inAnyNamespace().list().getItems()) {
                var resource = admin.resources(MaiClient.class).inNamespace(mc.getMetadata().getNamespace()).withName(mc.getMetadata().getName());
                resource.edit(m -> {
                    m.getMetadata().setFinalizers(List.of());
                    return m;
                });
                resource.delete();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.resources(MaiClient.class).inAnyNamespace().list().getItems().isEmpty());
        }
        admin.secrets().inAnyNamespace().withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE).delete();
        admin.resources(ClusterRoleBinding.class).withLabel(NAME_LABEL, "mai-operator").delete();
        admin.resources(ClusterRole.class).withLabel(NAME_LABEL, "mai-operator").delete();
        admin.resources(RoleBinding.class).inAnyNamespace().withLabel(NAME_LABEL, "mai-operator").delete();
        admin.resources(Role.class).inAnyNamespace().withLabel(NAME_LABEL, "mai-operator").delete();
        admin.configMaps().inNamespace(NAMESPACE).withName(InstallationId.CONFIG_MAP).delete();
        admin.secrets().inNamespace(NAMESPACE).withName(DigestKey.SECRET).delete();
        admin.resources(Lease.class).inNamespace(NAMESPACE).delete();
    }
}
