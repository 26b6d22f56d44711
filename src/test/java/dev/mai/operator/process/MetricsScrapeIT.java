package dev.mai.operator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.ClientConditions;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.MonitoringQueries;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The monitoring bundle reads only metrics the operator exports: the packaged operator runs as its own
 * process against the embedded API server and the simulator, provisions a MaiClient, replaces its key
 * once (its Secret deleted: a rotation) and sweeps; then every metric name the Grafana dashboard and every
 * PrometheusRule in deploy/monitoring read is a sample name in a real scrape of its {@code /q/metrics}.
 */
class MetricsScrapeIT {

    private static final Path WORK = Path.of("target/metrics-scrape");
    private static final String NAMESPACE = "scrape";
    /** Series Prometheus writes itself for every scrape target: no exporter has them. */
    private static final Set<String> WRITTEN_BY_PROMETHEUS = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added");

    @Test
    void everyMetricTheDashboardAndTheRulesReadIsInAScrapeOfTheRunningOperator() throws Exception {
        Map<String, String> used = MonitoringQueries.metricNamesUsed();
        // the tokenizer found the names (an empty set would pass below whatever the operator exports)
        assertThat(used).containsKeys("mai_client_usage_in_period_usd", "mai_key_rotations_total", "mai_sweep_duration_seconds_count",
                "mai_openrouter_requests_total", "mai_client_condition", "mai_sweep_last_success_seconds");
        Files.createDirectories(WORK);
        Path log = WORK.resolve("operator.log");
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"))) {
            Map<String, String> env = OperatorProcess.replica(OperatorProcess.environment(cluster, openRouter, WORK, "mai-operator"),
                    "mai-operator-0", "scrape");
            KubernetesClient client = cluster.client();
            Supplier<MaiClient> abc = () -> client.resources(MaiClient.class).inNamespace(NAMESPACE).withName("abc").get();
            try (OperatorProcess operator = OperatorProcess.start(env, log)) {
                client.resource(Clients.maiClient(NAMESPACE, "abc", "Scrape Co", "10")).create();
                ClientConditions.awaitReady(abc, Duration.ofMinutes(1));
                String first = abc.get().getStatus().getKeyHash();

                // mai_key_rotations_total has a series only once a key was replaced
                client.secrets().inNamespace(NAMESPACE).withName("abc-env").delete();
                await().atMost(Duration.ofMinutes(1)).until(() -> {
                    MaiClient now = abc.get();
                    return !first.equals(now.getStatus().getKeyHash()) && Clients.isReady(now);
                });
                long sweeps = openRouter.count("GET /keys");
                await().atMost(Duration.ofMinutes(1)).until(() -> openRouter.count("GET /keys") >= sweeps + 2);

                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    HttpResponse<String> scrape = operator.get("/q/metrics");
                    assertThat(scrape.statusCode()).isEqualTo(200);
                    Set<String> scraped = MonitoringQueries.sampleNames(scrape.body());
                    Map<String, String> missing = new TreeMap<>(used);
                    missing.keySet().removeAll(scraped);
                    missing.keySet().removeAll(WRITTEN_BY_PROMETHEUS);
                    assertThat(missing).as("metric names read by the dashboard or the rules (name=where) that the scrape lacks")
                            .isEmpty();
                    // and JOSDK's reconcile metrics, which the operations guide lists (a packaged build once exported none)
                    assertThat(scraped).contains("reconciliations_execution_duration_seconds_count", "reconciliations_started_total",
                            "reconciliations_success_total", "reconciliations_active", "reconciliations_queue");
                });
            }
            assertThat(openRouter.count("POST /keys")).as("the first key and its replacement").isEqualTo(2);
            assertThat(cluster.leaks(openRouter, List.of(log))).isEmpty();
        }
    }
}
