package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.testing.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's NetworkPolicies as the chart and the Kustomize component render them: ingress only (the
 * base's policy) by default; with networkPolicy.egress.enabled a second policy whose egress reaches DNS, the
 * API server's listed addresses and OpenRouter's ports, and no rule that admits every destination; the
 * component deploy/components/network-policy-egress, with the patch its comment documents, renders the same
 * policy. No network plugin runs in this project's clusters (kwok): enforcement is not tested, the objects are.
 */
class OperatorNetworkPolicyTest {

    private static final String NAMESPACE = "mai-system";
    private static final String RELEASE = "mai-operator";
    private static final Path COMPONENT = Path.of("deploy/components/network-policy-egress");
    private static final List<String> API_SERVER = List.of("10.96.0.1/32", "172.18.0.2/32");

    private static Helm helm;

    @BeforeAll
    static void helm() {
        helm = Helm.offline();
    }

    private static List<HasMetadata> parsed(String yaml) {
        DeployManifestsTest.Checked checked = DeployManifestsTest.check("helm template", yaml, null);
        assertThat(checked.problems()).as("objects fabric8's model does not read exactly").isEmpty();
        return checked.objects();
    }

    private static Map<String, NetworkPolicy> policies(List<HasMetadata> objects) {
        return objects.stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast)
                .collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p, (a, b) -> a, LinkedHashMap::new));
    }

    private static List<HasMetadata> withEgress(String... more) {
        List<String> values = new ArrayList<>(List.of("networkPolicy.egress.enabled=true",
                "networkPolicy.egress.apiServerCidrs={" + String.join(",", API_SERVER) + "}"));
        values.addAll(List.of(more));
        return parsed(helm.template(RELEASE, NAMESPACE, values.toArray(String[]::new)));
    }

    private static List<String> ports(List<NetworkPolicyPort> ports) {
        return ports.stream().map(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).toList();
    }

    @Test
    void byDefaultTheChartLimitsIngressOnlyAndLeavesEgressAlone() {
        Map<String, NetworkPolicy> policies = policies(parsed(helm.template(RELEASE, NAMESPACE)));
        assertThat(policies).containsOnlyKeys("mai-operator-metrics");
        NetworkPolicy ingress = policies.get("mai-operator-metrics");
        assertThat(ingress.getSpec().getPolicyTypes()).containsExactly("Ingress");
        assertThat(ingress.getSpec().getEgress()).isNullOrEmpty();
    }

    @Test
    void withEgressOnTheOperatorPodsReachOnlyDnsTheApiServerAndOpenRouter() {
        List<HasMetadata> objects = withEgress();
        Map<String, NetworkPolicy> policies = policies(objects);
        assertThat(policies).containsOnlyKeys("mai-operator-metrics", "mai-operator-egress");
        assertThat(DeployManifestsTest.STRICT.asJson(policies.get("mai-operator-metrics")))
                .as("the ingress policy does not change").isEqualTo(DeployManifestsTest.STRICT.asJson(
                        policies(parsed(helm.template(RELEASE, NAMESPACE))).get("mai-operator-metrics")));

        NetworkPolicy egress = policies.get("mai-operator-egress");
        assertThat(egress.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(egress.getSpec().getPolicyTypes()).containsExactly("Egress");
        assertThat(egress.getSpec().getIngress()).isNullOrEmpty();
        assertThat(egress.getSpec().getPodSelector()).isEqualTo(policies.get("mai-operator-metrics").getSpec().getPodSelector());
        Deployment deployment = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow();
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).as("the policy selects the operator pods")
                .containsAllEntriesOf(egress.getSpec().getPodSelector().getMatchLabels());

        List<NetworkPolicyEgressRule> rules = egress.getSpec().getEgress();
        assertThat(rules).hasSize(3).allSatisfy(rule -> {
            assertThat(rule.getTo()).as("a rule with no destination admits every destination").isNotEmpty();
            assertThat(rule.getPorts()).as("a rule with no port admits every port").isNotEmpty();
        });
        // DNS: the resolver pods, selected by namespace AND pod labels in one peer (two peers would be OR)
        assertThat(rules.get(0).getTo()).singleElement().satisfies((NetworkPolicyPeer peer) -> {
            assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(Map.entry("kubernetes.io/metadata.name", "kube-system"));
            assertThat(peer.getPodSelector().getMatchLabels()).containsExactly(Map.entry("k8s-app", "kube-dns"));
            assertThat(peer.getIpBlock()).isNull();
        });
        assertThat(ports(rules.get(0).getPorts())).containsExactly("UDP/53", "TCP/53");
        // the API server: exactly the listed addresses, the Service's port and the endpoints'
        assertThat(rules.get(1).getTo()).extracting(NetworkPolicyPeer::getIpBlock).extracting(IPBlock::getCidr)
                .containsExactlyElementsOf(API_SERVER);
        assertThat(rules.get(1).getTo()).allSatisfy(peer -> assertThat(peer.getIpBlock().getExcept()).isNullOrEmpty());
        assertThat(ports(rules.get(1).getPorts())).containsExactly("TCP/443", "TCP/6443");
        // OpenRouter: HTTPS anywhere, nothing carved out unless asked
        assertThat(rules.get(2).getTo()).singleElement().satisfies((NetworkPolicyPeer peer) -> {
            assertThat(peer.getIpBlock().getCidr()).isEqualTo("0.0.0.0/0");
            assertThat(peer.getIpBlock().getExcept()).isNullOrEmpty();
            assertThat(peer.getNamespaceSelector()).isNull();
            assertThat(peer.getPodSelector()).isNull();
        });
        assertThat(ports(rules.get(2).getPorts())).containsExactly("TCP/443");
    }

    @Test
    void theEgressValuesReachThePolicy() {
        NetworkPolicy egress = policies(withEgress("networkPolicy.egress.dnsNamespace=dns", "networkPolicy.egress.dnsPodLabels.k8s-app=coredns",
                "networkPolicy.egress.dnsCidrs={169.254.20.10/32}", "networkPolicy.egress.apiServerPorts={6443}",
                "networkPolicy.egress.openRouterCidrs={0.0.0.0/0,::/0}", "networkPolicy.egress.openRouterExceptCidrs={10.0.0.0/8,192.168.0.0/16}",
                "networkPolicy.egress.openRouterPorts={443,3128}")).get("mai-operator-egress");
        List<NetworkPolicyEgressRule> rules = egress.getSpec().getEgress();
        assertThat(rules.get(0).getTo()).hasSize(2);
        assertThat(rules.get(0).getTo().get(0).getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "dns");
        assertThat(rules.get(0).getTo().get(0).getPodSelector().getMatchLabels()).containsExactly(Map.entry("k8s-app", "coredns"));
        assertThat(rules.get(0).getTo().get(1).getIpBlock().getCidr()).isEqualTo("169.254.20.10/32");
        assertThat(ports(rules.get(1).getPorts())).containsExactly("TCP/6443");
        assertThat(rules.get(2).getTo()).extracting(NetworkPolicyPeer::getIpBlock).satisfiesExactly(
                v4 -> assertThat(v4).isEqualTo(new IPBlock("0.0.0.0/0", List.of("10.0.0.0/8", "192.168.0.0/16"))),
                v6 -> assertThat(v6).isEqualTo(new IPBlock("::/0", List.of("10.0.0.0/8", "192.168.0.0/16"))));
        assertThat(ports(rules.get(2).getPorts())).containsExactly("TCP/443", "TCP/3128");
    }

    /** An empty list would render a rule with no destination, which admits every destination: refused, schema or not. */
    @Test
    void egressWithoutTheApiServersAddressesOrWithNoOpenRouterRangeIsRefused() {
        Map<String, List<String>> refused = Map.of(
                "apiServerCidrs", List.of("--set", "networkPolicy.egress.enabled=true"),
                "openRouterCidrs", List.of("--set", "networkPolicy.egress.enabled=true", "--set", "networkPolicy.egress.apiServerCidrs={10.0.0.1/32}",
                        "--set-json", "networkPolicy.egress.openRouterCidrs=[]"));
        refused.forEach((value, args) -> {
            for (boolean skipSchema : List.of(false, true)) {
                List<String> command = new ArrayList<>(List.of("template", RELEASE, Helm.CHART.toString(), "--namespace", NAMESPACE));
                command.addAll(args);
                if (skipSchema) {
                    command.add("--skip-schema-validation");
                }
                Helm.Result result = helm.run(command.toArray(String[]::new));
                assertThat(result.exit()).as("%s, schema skipped: %s", value, skipSchema).isNotZero();
                assertThat(result.err()).as("%s, schema skipped: %s", value, skipSchema).contains(value);
            }
        });
        Helm.Result notACidr = helm.run("template", RELEASE, Helm.CHART.toString(), "--set", "networkPolicy.egress.enabled=true",
                "--set", "networkPolicy.egress.apiServerCidrs={kubernetes.default.svc}");
        assertThat(notACidr.exit()).isNotZero();
        assertThat(notACidr.err()).contains("values don't meet the specifications of the schema").contains("/networkPolicy/egress/apiServerCidrs/0");
    }

    @Test
    void networkPolicyDisabledRendersNeitherPolicy() {
        assertThat(policies(parsed(helm.template(RELEASE, NAMESPACE, "networkPolicy.enabled=false")))).isEmpty();
    }

    /** Egress asked for with the policies switched off is refused: rendering nothing would leave egress open unnoticed. */
    @Test
    void egressAskedForWithNetworkPolicyDisabledIsRefusedNotDropped() {
        Helm.Result result = helm.run("template", RELEASE, Helm.CHART.toString(), "--namespace", NAMESPACE,
                "--set", "networkPolicy.enabled=false", "--set", "networkPolicy.egress.enabled=true",
                "--set", "networkPolicy.egress.apiServerCidrs={" + String.join(",", API_SERVER) + "}");
        assertThat(result.exit()).as("helm template's exit code").isNotZero();
        assertThat(result.err()).contains("networkPolicy.egress.enabled").contains("networkPolicy.enabled");
    }

    /**
     * The overlay the component's kustomization.yaml documents (the example in its comment, verbatim but for the
     * path to deploy/) renders the base unchanged plus an egress policy equal to the chart's for the same addresses.
     */
    @Test
    void theKustomizeComponentWithItsDocumentedPatchRendersTheChartsEgressPolicy() throws IOException {
        Path overlay = Path.of("target/network-policy-egress");
        Files.createDirectories(overlay);
        Files.writeString(overlay.resolve("kustomization.yaml"), documentedOverlay().replace("../mai-operator/deploy", "../../deploy"));
        Map<String, HasMetadata> rendered = byKey(DeployManifestsTest.rendered(overlay.toString()));
        NetworkPolicy fromKustomize = (NetworkPolicy) rendered.remove("NetworkPolicy mai-system/mai-operator-egress");
        assertThat(fromKustomize).as("the component's policy").isNotNull();
        Map<String, HasMetadata> base = byKey(DeployManifestsTest.rendered("deploy"));
        assertThat(rendered.keySet()).isEqualTo(base.keySet());
        base.forEach((key, object) -> assertThat(DeployManifestsTest.STRICT.asJson(rendered.get(key))).as(key)
                .isEqualTo(DeployManifestsTest.STRICT.asJson(object)));

        NetworkPolicy fromChart = policies(withEgress()).get("mai-operator-egress");
        fromChart.getSpec().getPodSelector().getMatchLabels().remove("app.kubernetes.io/instance");
        assertThat(fromKustomize.getSpec()).isEqualTo(fromChart.getSpec());
        assertThat(fromKustomize.getMetadata().getLabels()).isEqualTo(Map.of("app.kubernetes.io/name", "mai-operator",
                "app.kubernetes.io/component", "operator"));
        // the file alone holds a documentation address that reaches nothing: the patch is what makes it work
        assertThat(Files.readString(COMPONENT.resolve("network-policy-egress.yaml"))).contains("cidr: 192.0.2.1/32");
        assertThat(fromKustomize.getSpec().getEgress().get(1).getPorts()).extracting(NetworkPolicyPort::getPort)
                .containsExactly(new IntOrString(443), new IntOrString(6443));
    }

    /** The example overlay in the comment of the component's kustomization.yaml, uncommented. */
    private static String documentedOverlay() throws IOException {
        List<String> lines = Files.readAllLines(COMPONENT.resolve("kustomization.yaml"));
        int start = lines.indexOf("#   resources:");
        assertThat(start).as("the example overlay in %s", COMPONENT).isPositive();
        List<String> example = new ArrayList<>();
        for (String line : lines.subList(start, lines.size())) {
            if (!line.startsWith("#   ")) {
                break;
            }
            example.add(line.substring(4));
        }
        return String.join("\n", example) + "\n";
    }

    private static Map<String, HasMetadata> byKey(List<HasMetadata> objects) {
        Map<String, HasMetadata> map = new LinkedHashMap<>();
        objects.forEach(o -> map.put(o.getKind() + " " + DeployManifestsTest.name(o), o));
        return map;
    }
}
