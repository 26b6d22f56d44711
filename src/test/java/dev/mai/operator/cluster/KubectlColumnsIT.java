package dev.mai.operator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.testing.Clients;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The columns and descriptions of {@code crds/} as the real kubectl (the one build/control-plane.sh
 * built) shows them from a real kube-apiserver, with no operator running: the test writes each
 * MaiClient's status itself through the status subresource, as the operator would. {@code kubectl get
 * maiclients} prints the default columns with the limit, the spend in the period, what remains and
 * the next reset; {@code -o wide} adds four; {@code kubectl get mai} lists MaiClients; {@code kubectl
 * explain} prints the kind's, spec's, status's and fields' descriptions from the CRD.
 */
class KubectlColumnsIT {

    private static final Path WORK = Path.of("target/kubectl-columns");
    private static final String NS = "kubectl-columns";
    private static final List<String> HEADERS = List.of("NAME", "ORGANIZATION", "LIMIT", "USED", "REMAINING", "RESETS", "READY",
            "REASON", "AGE");
    private static final List<String> WIDE = List.of("TOTAL USED", "SECRET", "EXTERNAL USER", "KEY VALID", "BUDGET LOW",
            "PAUSED");
    /** A reset in the future, as the operator writes it: a column of type date would show it as "<invalid>". */
    private static final String RESET = "2099-02-01T00:00:00Z";

    static KubernetesClient admin;
    static Kubectl kubectl;

    @BeforeAll
    static void install() throws IOException {
        long t0 = System.nanoTime();
        RealApiServer.Started server = RealApiServer.get();
        Files.createDirectories(WORK);
        kubectl = Kubectl.of(Files.writeString(WORK.resolve("admin.kubeconfig"), server.kubeConfigYaml()));
        admin = server.client();
        kubectl.run("apply", "-f", InstalledOperator.CRD.toString()).ok();
        kubectl.run("wait", "--for=condition=Established", "crd/maiclients.mai.dev", "--timeout=60s").ok();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .createOr(NonDeletingOperation::update);

        MaiClient monthly = admin.resource(Clients.with(Clients.maiClient(NS, "abc", "ABC Company Sp. z o.o.", "1000.0"),
                s -> s.setLimitReset("monthly"))).create();
        monthly.setStatus(status("123.45", "876.55", RESET, "2345.67", "True", "Provisioned"));
        admin.resource(monthly).updateStatus();

        MaiClient unlimited = admin.resource(Clients.maiClient(NS, "open", "Open Co", "unlimited")).create();
        unlimited.setStatus(status("12.00", null, null, "12.00", "False", "InvalidSpec"));
        admin.resource(unlimited).updateStatus();
        System.out.printf("KubectlColumnsIT: CRD and two MaiClients in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @AfterAll
    static void close() {
        if (admin != null) {
            admin.resources(MaiClient.class).inNamespace(NS).delete();
            admin.close();
        }
    }

    /** A status as the operator writes it: the figures, the Secret, Ready and KeyValid. */
    private static MaiClientStatus status(String usedInPeriod, String remaining, String reset, String lifetime, String ready,
            String reason) {
        MaiClientStatus s = new MaiClientStatus();
        s.setObservedGeneration(1L);
        s.setUsageInPeriod(usedInPeriod);
        s.setLimitRemaining(remaining);
        s.setNextLimitResetAt(reset);
        s.setUsage(lifetime);
        s.setSecretName("x-env");
        s.setExternalUser("mai_client_0123abcd");
        s.setConditions(List.of(condition("Ready", ready, reason), condition("KeyValid", "True", "Valid")));
        return s;
    }

    private static Condition condition(String type, String status, String reason) {
        return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage("set by the test")
                .withObservedGeneration(1L).withLastTransitionTime("2026-01-01T00:00:00Z").build();
    }

    // --- kubectl get -------------------------------------------------------------------------------

    @Test
    void getMaiclientsPrintsTheLimitThePeriodsSpendWhatRemainsAndTheReset() throws IOException {
        String out = keep("get.txt", kubectl.run("get", "maiclients", "-n", NS).ok());
        UserViewIT.Table table = UserViewIT.Table.parse(out);

        assertThat(table.header()).containsExactlyElementsOf(HEADERS);
        assertThat(row(table, "abc")).containsAllEntriesOf(Map.of("ORGANIZATION", "ABC Company Sp. z o.o.", "LIMIT", "1000.0",
                "USED", "123.45", "REMAINING", "876.55", "RESETS", RESET, "READY", "True", "REASON", "Provisioned"));
        // unlimited, no limitReset: USED is the lifetime spend, nothing remains to show, nothing resets
        assertThat(row(table, "open")).containsAllEntriesOf(Map.of("LIMIT", "unlimited", "USED", "12.00", "REMAINING", "",
                "RESETS", "", "READY", "False", "REASON", "InvalidSpec"));
        assertThat(out).doesNotContain("<invalid>").doesNotContain("2345.67");
    }

    @Test
    void wideAddsLifetimeUsageTheSecretTheExternalUserAndKeyValid() throws IOException {
        UserViewIT.Table table = UserViewIT.Table.parse(keep("get-wide.txt", kubectl.run("get", "maiclients", "-n", NS, "-o", "wide").ok()));

        List<String> all = new java.util.ArrayList<>(HEADERS);
        all.addAll(WIDE);
        assertThat(table.header()).containsExactlyElementsOf(all);
        assertThat(row(table, "abc")).containsAllEntriesOf(Map.of("USED", "123.45", "TOTAL USED", "2345.67", "SECRET", "x-env",
                "EXTERNAL USER", "mai_client_0123abcd", "KEY VALID", "True"));
    }

    @Test
    void getMaiListsMaiClients() throws IOException {
        // kubectl expands a category from its cached discovery, which may predate the CRD; api-resources
        // refreshes that cache (docs/operate.md tells users the same)
        assertThat(kubectl.run("api-resources", "--categories=mai", "-o", "name").ok()).isEqualTo("maiclients.mai.dev\n");
        String out = keep("get-mai.txt", kubectl.run("get", "mai", "-n", NS).ok());

        // one kind in the category: kubectl prints the same table as for maiclients (no kind/ prefix)
        UserViewIT.Table table = UserViewIT.Table.parse(out);
        assertThat(table.header()).containsExactlyElementsOf(HEADERS);
        assertThat(table.rows()).extracting(r -> r.get("NAME")).containsExactlyInAnyOrder("abc", "open");
        assertThat(row(table, "abc")).containsEntry("USED", "123.45").containsEntry("RESETS", RESET);
    }

    /**
     * Why RESETS is a string column: the same CRD with RESETS of type date (under other names, so
     * both are installed at once and {@code maiclients} stays unambiguous) shows the operator's next
     * reset as "&lt;invalid&gt;".
     */
    @Test
    void aDateColumnWouldShowTheNextResetAsInvalid() throws IOException {
        CustomResourceDefinition dated = admin.apiextensions().v1().customResourceDefinitions().load(InstalledOperator.CRD.toFile()).item();
        String group = "dated.mai.dev";
        dated.getMetadata().setName("datedclients." + group);
        dated.getSpec().setGroup(group);
        dated.getSpec().setNames(new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionNamesBuilder()
                .withKind("DatedClient").withListKind("DatedClientList").withPlural("datedclients").withSingular("datedclient").build());
        dated.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream().filter(c -> c.getName().equals("Resets"))
                .findFirst().orElseThrow().setType("date");
        Path file = WORK.resolve("dated-crd.yaml");
        Files.writeString(file, admin.getKubernetesSerialization().asYaml(dated));
        kubectl.run("apply", "-f", file.toString()).ok();
        kubectl.run("wait", "--for=condition=Established", "crd/datedclients." + group, "--timeout=60s").ok();
        var resource = admin.genericKubernetesResources(group + "/v1alpha1", "DatedClient").inNamespace(NS);
        var mc = admin.getKubernetesSerialization().unmarshal(admin.getKubernetesSerialization().asJson(Map.of(
                "apiVersion", group + "/v1alpha1", "kind", "DatedClient", "metadata", Map.of("name", "abc", "namespace", NS),
                "spec", Map.of("organizationName", "ABC", "spendingLimit", "10", "limitReset", "monthly"))),
                io.fabric8.kubernetes.api.model.GenericKubernetesResource.class);
        var created = resource.resource(mc).create();
        created.setAdditionalProperty("status", Map.of("nextLimitResetAt", RESET));
        resource.resource(created).updateStatus();
        try {
            UserViewIT.Table table = UserViewIT.Table.parse(keep("get-dated.txt",
                    kubectl.run("get", "datedclients", "-n", NS).ok()));
            assertThat(row(table, "abc")).containsEntry("RESETS", "<invalid>");
        } finally {
            admin.apiextensions().v1().customResourceDefinitions().withName("datedclients." + group).delete();
        }
    }

    // --- kubectl explain ---------------------------------------------------------------------------

    @Test
    void explainMaiclientsShowsTheKindsDescriptionAndItsSpecAndStatus() throws IOException {
        String out = explain("maiclients");

        assertThat(out).contains("KIND:       MaiClient").contains("GROUP:      mai.dev");
        assertThat(flat(out)).contains(flat(schema().getDescription()))
                .contains("one OpenRouter API key with a spending limit")
                .contains(flat(schema().getProperties().get("spec").getDescription()))
                .contains(flat(schema().getProperties().get("status").getDescription()));
    }

    @Test
    void explainBudgetAlertsSaysWhatTheThresholdsAreAndTheirDefault() throws IOException {
        String out = flat(explain("maiclients.spec.budgetAlerts"));

        assertThat(out).contains("FIELD: budgetAlerts <[]integer>")
                .contains("Percentages of the period's spending limit").contains("Absent: 80 and 95")
                .contains(flat(schema().getProperties().get("spec").getProperties().get("budgetAlerts").getDescription()));
    }

    @Test
    void explainConditionsListsTheTypesAndReasonsAndItsFields() throws IOException {
        String raw = explain("maiclients.status.conditions");
        String out = flat(raw);

        assertThat(out).contains(flat(schema().getProperties().get("status").getProperties().get("conditions").getDescription()))
                .contains("BudgetLow - the spend in this limit period reached a threshold of spec.budgetAlerts")
                .contains("Paused - the annotation mai.dev/paused is \"true\"")
                .contains("Stalled (kstatus)").contains("ThresholdCrossed").contains("LimitExhausted");
        // the entries' own fields, described although fabric8's Condition carries no descriptions
        assertThat(raw).containsPattern("(?m)^  reason\\s+<string>").containsPattern("(?m)^  observedGeneration\\s+<integer>");
        assertThat(out).contains("Why the condition has its status, a CamelCase word");
    }

    // --- helpers -----------------------------------------------------------------------------------

    /** kubectl explain once the server publishes the CRD's OpenAPI (a moment after it is Established). */
    private static String explain(String what) throws IOException {
        String[] out = new String[1];
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> out[0] = kubectl.run("explain", what).ok());
        return keep("explain-" + what + ".txt", out[0]);
    }

    private static JSONSchemaProps schema() {
        CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().load(InstalledOperator.CRD.toFile()).item();
        return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    }

    private static Map<String, String> row(UserViewIT.Table table, String name) {
        return table.rows().stream().filter(r -> name.equals(r.get("NAME"))).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + name + " in " + table.rows()));
    }

    private static String keep(String file, String output) throws IOException {
        Files.writeString(WORK.resolve(file), output);
        return output;
    }

    /** Text with every run of whitespace made one space: kubectl wraps descriptions. */
    private static String flat(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }
}
