package dev.mai.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.SimulatorResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** What Prometheus scrapes at /q/metrics: per-client readiness and usage with the simulator's figures. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(SimulatorResource.class)
class MetricsTest extends OperatorHarness {

    @TestHTTPResource("/q/metrics")
    URI metrics;

    private String scrape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(metrics).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    @Test
    void perClientReadinessAndUsageAndOpenRouterRequestsAreScraped() throws Exception {
        create(Clients.maiClient("t-metrics", "abc", "Metrics Co", "100"));
        MaiClient mc = awaitReady("t-metrics", "abc");
        String series = "{name=\"abc\",namespace=\"t-metrics\"}";
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(scrape())
                .contains("mai_client_ready" + series + " 1.0")
                .contains("mai_client_usage_usd" + series + " 0.0")
                .contains("mai_client_key_created_seconds" + series)
                .containsPattern("mai_openrouter_requests_total\\{operation=\"POST /keys\",status=\"201\"} [1-9]"));

        // spending is picked up by the validation sweep, with no change to the MaiClient
        OpenRouterSimulator.Key key = keysOf(mc).get(0);
        simulator().spend(key.hash, new BigDecimal("12.34"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(scrape())
                .contains("mai_client_usage_usd" + series + " 12.34")
                .contains("mai_client_usage_in_period_usd" + series + " 12.34")
                .contains("mai_client_limit_remaining_usd" + series + " 87.66")
                .containsPattern("mai_client_last_validated_seconds" + java.util.regex.Pattern.quote(series) + " [1-9]")
                .containsPattern("mai_sweep_duration_seconds_count\\{outcome=\"complete\"} [1-9]")
                .containsPattern("mai_sweep_last_success_seconds [1-9]")
                .containsPattern("mai_openrouter_requests_total\\{operation=\"GET /keys\",status=\"200\"} [1-9]")
                .containsPattern("reconciliations_execution_duration_seconds_count\\{controller_name=\"maiclient\"} [1-9]"));
        assertThat(get("t-metrics", "abc").getStatus().getUsage()).isEqualTo("12.34");
        assertThat(get("t-metrics", "abc").getMetadata().getGeneration()).isEqualTo(mc.getMetadata().getGeneration());

        client.resource(get("t-metrics", "abc")).delete();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(scrape()).doesNotContain("mai_client_ready" + series));
    }
}
