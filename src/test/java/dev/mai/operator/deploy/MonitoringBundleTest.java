package dev.mai.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mai.operator.testing.MonitoringQueries;
import dev.mai.operator.testing.Promtool;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * deploy/monitoring as Prometheus and Grafana would take it: the dashboard is valid JSON whose every
 * panel has a query, and every query parses as PromQL (promtool, built from Go modules); its panels use
 * the data source variable and the namespace and client filters; the ServiceMonitor scrapes the
 * metrics Service's port and path on every pod with honorLabels; and {@code kubectl apply -k
 * deploy/monitoring} installs the ServiceMonitor and the dashboard's ConfigMap for Grafana's sidecar.
 * That every metric the queries read is in a real scrape: MetricsScrapeIT.
 */
class MonitoringBundleTest {

    private static final Path SERVICE_MONITOR = MonitoringQueries.BUNDLE.resolve("service-monitor.yaml");
    private static final Path METRICS_SERVICE = Path.of("deploy/operator/metrics-service.yaml");

    @Test
    void theDashboardIsValidJsonWithUniquePanelIdsAndAQueryInEveryPanel() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(MonitoringQueries.DASHBOARD.toFile());
        assertThat(dashboard.path("schemaVersion").asInt()).isBetween(36, 41);
        assertThat(dashboard.path("uid").asText()).isEqualTo("mai-operator");
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(panels::add);
        assertThat(panels).hasSizeGreaterThanOrEqualTo(10);
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asInt())).as("panel id %s of '%s' is unique", panel.path("id"), title).isTrue();
            assertThat(title).isNotBlank();
            assertThat(panel.path("targets")).as("'%s' has a query", title).isNotEmpty()
                    .anySatisfy(target -> assertThat(target.path("expr").asText()).isNotBlank());
        }
    }

    @Test
    void everyDashboardQueryParsesAsPromQl() throws IOException {
        Map<String, String> queries = MonitoringQueries.dashboardQueries();
        assertThat(queries).hasSizeGreaterThan(20).containsKeys("variable namespace", "variable client");
        Path rules = Files.createTempFile("dashboard-queries", ".yaml");
        Files.writeString(rules, MonitoringQueries.asRecordingRules(queries));
        assertThat(Promtool.find().checkRules(rules).ok()).contains("SUCCESS: " + queries.size() + " rules found");
    }

    /** The check above can fail: promtool refuses a query that is not PromQL, and names it. */
    @Test
    void aQueryThatIsNotPromQlFailsTheCheck() throws IOException {
        Path rules = Files.createTempFile("broken-query", ".yaml");
        Files.writeString(rules, MonitoringQueries.asRecordingRules(Map.of("panel 99 A", "sum by (namespace) (rate(mai_client_ready[$__rate_interval])")));
        Promtool.Result result = Promtool.find().checkRules(rules);
        assertThat(result.exit()).isNotZero();
        assertThat(result.out() + result.err()).contains("dashboard:panel_99_A").contains("unclosed left parenthesis");
    }

    /**
     * The budget totals add up the clients that have a figure. The operator exports NaN, not nothing, for
     * a client without a spending limit (remaining) and for one whose key OpenRouter has not reported yet
     * (spend), and a sum over a NaN is NaN: one unlimited client would blank the namespace's remaining
     * budget. promtool evaluates the panels' queries on a limited, an unlimited and a keyless client.
     */
    @Test
    void theBudgetTotalsAddUpTheClientsWithAFigureAndSkipTheirNaNs() throws IOException {
        Map<String, String> queries = MonitoringQueries.dashboardQueries();
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put(query(queries, "'Spend in the period (USD)' A"), "'{}'\n            value: 3");
        expected.put(query(queries, "'Remaining budget (USD)' A"), "'{}'\n            value: 4");
        expected.put(query(queries, "'Spend and remaining budget per namespace (USD)' A"),
                "'{namespace=\"tenant-abc\"}'\n            value: 3");
        expected.put(query(queries, "'Spend and remaining budget per namespace (USD)' B"),
                "'{namespace=\"tenant-abc\"}'\n            value: 4");
        StringBuilder tests = new StringBuilder("""
                rule_files: []
                tests:
                  - interval: 1m
                    input_series:
                      - {series: 'mai_client_usage_in_period_usd{namespace="tenant-abc",name="limited"}', values: '1x5'}
                      - {series: 'mai_client_limit_remaining_usd{namespace="tenant-abc",name="limited"}', values: '4x5'}
                      - {series: 'mai_client_usage_in_period_usd{namespace="tenant-abc",name="unlimited"}', values: '2x5'}
                      - {series: 'mai_client_limit_remaining_usd{namespace="tenant-abc",name="unlimited"}', values: 'NaN NaN NaN NaN NaN NaN'}
                      - {series: 'mai_client_usage_in_period_usd{namespace="tenant-abc",name="keyless"}', values: 'NaN NaN NaN NaN NaN NaN'}
                      - {series: 'mai_client_limit_remaining_usd{namespace="tenant-abc",name="keyless"}', values: 'NaN NaN NaN NaN NaN NaN'}
                    promql_expr_test:
                """);
        expected.forEach((expr, sample) -> tests.append("      - expr: '").append(MonitoringQueries.substituted(expr).replace("'", "''"))
                .append("'\n        eval_time: 2m\n        exp_samples:\n          - labels: ").append(sample).append('\n'));
        Path file = Files.createTempFile("dashboard-budget", ".yaml");
        Files.writeString(file, tests);
        Promtool.Result result = Promtool.find().run(file.getParent(), "test", "rules", file.getFileName().toString());
        assertThat(result.exit()).as(result.out() + result.err()).isZero();
    }

    private static String query(Map<String, String> queries, String where) {
        return queries.entrySet().stream().filter(e -> e.getKey().endsWith(where)).map(Map.Entry::getValue).findFirst()
                .orElseThrow(() -> new AssertionError("no dashboard query " + where + " in " + queries.keySet()));
    }

    @Test
    void thePanelsReadTheDataSourceVariableAndFilterByNamespaceAndClient() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(MonitoringQueries.DASHBOARD.toFile());
        Map<String, JsonNode> variables = new java.util.LinkedHashMap<>();
        dashboard.path("templating").path("list").forEach(v -> variables.put(v.path("name").asText(), v));
        assertThat(variables).containsOnlyKeys("DS_PROMETHEUS", "namespace", "client");
        assertThat(variables.get("DS_PROMETHEUS").path("type").asText()).isEqualTo("datasource");
        assertThat(variables.get("DS_PROMETHEUS").path("query").asText()).isEqualTo("prometheus");
        assertThat(variables.get("namespace").path("query").path("query").asText()).startsWith("label_values(").endsWith(", namespace)");
        assertThat(variables.get("client").path("query").path("query").asText()).startsWith("label_values(").contains("$namespace")
                .endsWith(", name)");
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText()).isEqualTo("${DS_PROMETHEUS}");
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${DS_PROMETHEUS}");
                // a per-client series shown without the filters would ignore what the user picked
                if (expr.contains("mai_client_") && !expr.contains("sum by (namespace)")) {
                    assertThat(expr).as(panel.path("title").asText()).contains("namespace=~\"$namespace\"", "name=~\"$client\"");
                }
            }
        }
    }

    @Test
    void metricNamesAreTheSeriesAQueryReadsNotItsFunctionsLabelsOrDurations() {
        Map<String, Set<String>> table = Map.of(
                "sum by (operation, status) (rate(mai_openrouter_requests_total{status=~\"5..|none\"}[5m]))",
                Set.of("mai_openrouter_requests_total"),
                "time() - max(mai_sweep_last_success_seconds) offset 1h > bool 3600", Set.of("mai_sweep_last_success_seconds"),
                "sum(rate(a_sum[2m])) by (outcome) / on (outcome) group_left (x) sum without (pod) (rate(a_count[2m]))",
                Set.of("a_sum", "a_count"),
                "count(mai_client_ready{name=~\"$client\"} == 0) or vector(0)", Set.of("mai_client_ready"),
                "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) and up{job=\"mai\"} unless 1e3 < inf",
                Set.of("x_bucket", "up"),
                "label_replace(mai_client_ready, \"ns\", \"$1\", \"namespace\", \"(.*)\")", Set.of("mai_client_ready"),
                "{__name__=\"hidden\"} + reconciliations_queue:rate5m", Set.of("reconciliations_queue:rate5m"));
        table.forEach((expr, names) -> assertThat(MonitoringQueries.metricNames(expr)).as(expr).isEqualTo(names));
        assertThat(MonitoringQueries.substituted("rate(x{namespace=~\"$namespace\", name=~\"${client}\"}[$__rate_interval])"))
                .isEqualTo("rate(x{namespace=~\"tenant-abc|tenant-obrien\", name=~\".*\"}[2m])");
    }

    @Test
    void theServiceMonitorScrapesEveryPodOfTheMetricsServiceKeepingTheirLabels() throws IOException {
        GenericKubernetesResource monitor = DeployManifestsTest.STRICT.unmarshal(Files.readString(SERVICE_MONITOR),
                GenericKubernetesResource.class);
        Service service = DeployManifestsTest.STRICT.unmarshal(Files.readString(METRICS_SERVICE), Service.class);
        assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.getKind()).isEqualTo("ServiceMonitor");
        assertThat(monitor.getMetadata().getNamespace()).isEqualTo(service.getMetadata().getNamespace());
        Map<String, Object> labels = monitor.get("spec", "selector", "matchLabels");
        assertThat(labels).isNotEmpty();
        assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(strings(labels));
        List<String> namespaces = monitor.get("spec", "namespaceSelector", "matchNames");
        assertThat(namespaces).containsExactly(service.getMetadata().getNamespace());
        List<Map<String, Object>> endpoints = monitor.get("spec", "endpoints");
        ServicePort port = service.getSpec().getPorts().get(0);
        assertThat(endpoints).singleElement().satisfies(endpoint -> {
            assertThat(endpoint.get("port")).isEqualTo(port.getName());
            assertThat(endpoint.get("path")).isEqualTo(service.getMetadata().getAnnotations().get("prometheus.io/path"));
            // the per-client series' namespace label is the MaiClient's, not the target's
            assertThat(endpoint.get("honorLabels")).isEqualTo(true);
            assertThat(String.valueOf(endpoint.get("interval"))).matches("[0-9]+s");
        });
    }

    @Test
    void applyingTheBundleWithKustomizeInstallsTheServiceMonitorAndTheDashboardForGrafanasSidecar() throws IOException {
        DeployManifestsTest.Checked rendered = DeployManifestsTest.check("kubectl kustomize deploy/monitoring",
                DeployManifestsTest.kustomize(MonitoringQueries.BUNDLE.toString()), null);
        assertThat(rendered.problems()).isEmpty();
        assertThat(rendered.objects()).extracting(HasMetadata::getKind).containsExactly("ConfigMap");
        ConfigMap dashboard = (ConfigMap) rendered.objects().get(0);
        assertThat(dashboard.getMetadata().getNamespace()).isEqualTo("mai-system");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getData()).containsOnlyKeys("mai-operator.json");
        assertThat(dashboard.getData().get("mai-operator.json")).isEqualTo(Files.readString(MonitoringQueries.DASHBOARD));
        assertThat(DeployManifestsTest.kustomize(MonitoringQueries.BUNDLE.toString()))
                .contains("kind: ServiceMonitor").contains("name: mai-operator\n  namespace: mai-system");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> strings(Map<String, Object> map) {
        return (Map<String, String>) (Map<String, ?>) map;
    }
}
