package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.testing.Helm;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * The chart against values a platform engineer gets wrong: a value carrying a newline must never add YAML
 * of its own to the rendered objects (a NetworkPolicy open to every namespace, a container command, a host
 * PID namespace), with the schema or with {@code --skip-schema-validation}; an OpenRouter key put into any
 * value is refused without helm repeating it on the terminal (CI logs); and watching the release's own
 * namespace gives the operator one Role there with both sets of rules, not two objects of the same name.
 */
class HelmValuesAttackTest {

    private static final String NAMESPACE = "mai-system";
    private static final String RELEASE = "mai-operator";
    private static final String KEY = "sk-or-v1-" + "0123456789abcdef".repeat(4);

    private static Helm helm;

    @BeforeAll
    static void helm() {
        helm = Helm.offline();
    }

    /** A value, as JSON for --set-json, and the field (name and value, as Java prints it) it must not add to any object. */
    private record Injection(String value, String json, String field, String shown) {
    }

    @Test
    void noValueAddsYamlOfItsOwnEvenWithTheSchemaSkipped() {
        List<Injection> injections = List.of(
                new Injection("networkPolicy.metricsNamespaces", "[\"monitoring\\n        - namespaceSelector: {}\"]",
                        "namespaceSelector", "{}"),
                new Injection("image.tag", "\"1\\n          command: [injected]\"", "command", "[injected]"),
                new Injection("image.repository", "\"x\\n          command: [injected]\\n          y\"", "command", "[injected]"),
                new Injection("priorityClassName", "\"p\\n      hostPID: true\"", "hostPID", "true"),
                new Injection("podDisruptionBudget.minAvailable", "\"1\\n  injected: true\"", "injected", "true"),
                new Injection("watchNamespaces", "[\"tenant-a\\n  injected: true\"]", "injected", "true"),
                new Injection("managementKey.secretName", "\"k\\n            injected: true\"", "injected", "true"),
                new Injection("image.pullPolicy", "\"Always\\n          injected: true\"", "injected", "true"),
                new Injection("imagePullSecrets", "[{\"name\": \"r\\n          injected: true\"}]", "injected", "true"),
                new Injection("podAnnotations", "{\"a\": \"b\\n        injected: true\"}", "injected", "true"),
                new Injection("networkPolicy.egress", "{\"enabled\": true, \"apiServerCidrs\": [\"10.0.0.1/32\\n            injected: true\"]}",
                        "injected", "true"),
                new Injection("networkPolicy.egress", egress("\"openRouterExceptCidrs\": [\"10.0.0.0/8\\n            injected: true\"]"),
                        "injected", "true"),
                new Injection("networkPolicy.egress", egress("\"dnsCidrs\": [\"169.254.20.10/32\\n            injected: true\"]"),
                        "injected", "true"),
                new Injection("networkPolicy.egress", egress("\"dnsNamespace\": \"kube-system\\n              injected: true\""),
                        "injected", "true"),
                new Injection("networkPolicy.egress", egress("\"dnsPodLabels\": {\"a: \\\"b\\\"\\n              injected\": \"true\"}"),
                        "injected", "true"),
                new Injection("networkPolicy.egress", egress("\"dnsPodLabels\": {\"k8s-app\": \"kube-dns\\n              injected: true\"}"),
                        "injected", "true"),
                new Injection("networkPolicy.egress", egress("\"apiServerPorts\": [\"443\\n          injected: true\"]"),
                        "injected", "true"));
        List<String> injected = new ArrayList<>();
        for (Injection injection : injections) {
            for (boolean skipSchema : List.of(false, true)) {
                List<String> args = new ArrayList<>(List.of("template", RELEASE, Helm.CHART.toString(), "--namespace", NAMESPACE,
                        "--set-json", injection.value() + "=" + injection.json()));
                if (skipSchema) {
                    args.add("--skip-schema-validation");
                }
                Helm.Result result = helm.run(args.toArray(String[]::new));
                if (result.exit() == 0 && hasField(result.out(), injection.field(), injection.shown())) {
                    injected.add(injection.value() + (skipSchema ? " (--skip-schema-validation)" : ""));
                }
            }
        }
        assertThat(injected).as("values whose newline added YAML to the rendered objects").isEmpty();
    }

    /** networkPolicy.egress as JSON, enabled with the API server's address and {@code more} (a JSON member). */
    private static String egress(String more) {
        return "{\"enabled\": true, \"apiServerCidrs\": [\"10.0.0.1/32\"], " + more + "}";
    }

    /**
     * True when some map in the rendered documents has {@code field} with a value Java prints as {@code shown}.
     * A document that is no YAML at all is skipped: helm install refuses it, so nothing reaches the cluster.
     */
    private static boolean hasField(String yaml, String field, String shown) {
        List<Object> nodes = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            try {
                nodes.add(new Load(LoadSettings.builder().build()).loadFromString(document));
            } catch (YamlEngineException e) {
                // not YAML: refused by helm install
            }
        }
        while (!nodes.isEmpty()) {
            Object node = nodes.remove(nodes.size() - 1);
            if (node instanceof Map<?, ?> map) {
                if (map.containsKey(field) && String.valueOf(map.get(field)).equals(shown)) {
                    return true;
                }
                nodes.addAll(map.values());
            } else if (node instanceof List<?> list) {
                nodes.addAll(list);
            }
        }
        return false;
    }

    @Test
    void anOpenRouterKeyInAnyValueIsRefusedWithoutEchoingIt() {
        List<String> values = List.of("installationId", "managementKey.secretName", "image.repository", "image.tag", "image.digest",
                "selector", "priorityClassName", "settings.MAI_OPENROUTER_URL", "settings.MAI_ADOPTION_FROM",
                "settings.MAI_VALIDATION_INTERVAL", "networkPolicy.metricsNamespaces[0]", "watchNamespaces[0]", "podAnnotations.note",
                "networkPolicy.egress.dnsNamespace", "networkPolicy.egress.dnsPodLabels.k8s-app", "networkPolicy.egress.dnsCidrs[0]",
                "networkPolicy.egress.apiServerCidrs[0]", "networkPolicy.egress.openRouterCidrs[0]", "networkPolicy.egress.openRouterExceptCidrs[0]");
        Map<String, String> leaked = values.stream().collect(Collectors.toMap(v -> v, v -> {
            Helm.Result result = helm.run("template", RELEASE, Helm.CHART.toString(), "--namespace", NAMESPACE, "--set-string", v + "=" + KEY);
            if (result.exit() == 0) {
                return "accepted";
            }
            return result.err().contains(KEY) || result.out().contains(KEY) ? "refused, repeating the key" : "";
        }));
        leaked.values().removeIf(String::isEmpty);
        assertThat(leaked).as("values that took an OpenRouter key or repeated it in helm's message").isEmpty();
    }

    @Test
    void theManagementKeyAsASettingIsRefusedEvenWithTheSchemaSkipped() {
        for (String name : List.of("MAI_PROVISIONING_KEY", "MAI_PROVISIONING_KEY_FILE", "MAI_INSTALLATION_ID", "JAVA_TOOL_OPTIONS")) {
            Helm.Result result = helm.run("template", RELEASE, Helm.CHART.toString(), "--namespace", NAMESPACE,
                    "--skip-schema-validation", "--set-string", "settings." + name + "=" + KEY);
            assertThat(result.exit()).as(name).isNotZero();
            assertThat(result.out() + result.err()).as(name).doesNotContain(KEY).contains(name);
        }
    }

    @Test
    void watchingTheReleasesOwnNamespaceRendersOneRoleThereWithBothSetsOfRules() {
        String yaml = helm.template(RELEASE, NAMESPACE, "watchNamespaces={" + NAMESPACE + ",tenant-a}");
        DeployManifestsTest.Checked checked = DeployManifestsTest.check("helm template", yaml, null);
        assertThat(checked.problems()).isEmpty();
        List<String> keys = checked.objects().stream()
                .map(o -> o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()).toList();
        assertThat(keys).as("objects by kind, namespace and name").doesNotHaveDuplicates();
        Role own = checked.objects().stream().filter(Role.class::isInstance).map(Role.class::cast)
                .filter(r -> NAMESPACE.equals(r.getMetadata().getNamespace())).findFirst().orElseThrow();
        List<String> resources = own.getRules().stream().map(PolicyRule::getResources).flatMap(List::stream).toList();
        assertThat(resources).contains("maiclients", "leases", "configmaps");
    }
}
