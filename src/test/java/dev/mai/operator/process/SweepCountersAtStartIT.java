package dev.mai.operator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.testing.EmbeddedCluster;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sweep's counters are scraped at 0 before the first sweep: Prometheus's increase() counts nothing
 * for a series whose first sample is already 1, so a counter born at its first increment would hide
 * that increment from MaiSweepSuspectListings and MaiSweepAccountFailures — and the first sweep, 30 s
 * after a start (a restored or cloned cluster), is when a suspect listing is most likely.
 */
class SweepCountersAtStartIT {

    private static final Path WORK = Path.of("target/sweep-counters-at-start");

    @Test
    void sweepCountersAreScrapedAtZeroBeforeTheFirstSweep() throws Exception {
        Files.createDirectories(WORK);
        Path log = WORK.resolve("operator.log");
        try (OpenRouterSimulator openRouter = new OpenRouterSimulator();
                EmbeddedCluster cluster = new EmbeddedCluster(Path.of("crds/maiclients.mai.dev-v1.yml"))) {
            Map<String, String> env = OperatorProcess.replica(OperatorProcess.environment(cluster, openRouter, WORK, "mai-operator"),
                    "mai-operator-0", "counters");
            // the first sweep comes 30 s (+-10%) after the start with any interval above that
            env.put("MAI_VALIDATION_INTERVAL", "10m");
            try (OperatorProcess operator = OperatorProcess.start(env, log)) {
                String body = await().atMost(Duration.ofSeconds(25)).ignoreExceptions()
                        .until(() -> operator.get("/q/metrics"), r -> r.statusCode() == 200).body();
                assertThat(openRouter.count("GET /keys")).as("no sweep has listed an account yet").isZero();
                assertThat(body).contains("mai_sweep_account_failures_total 0.0", "mai_sweep_suspect_listings_total 0.0",
                        "mai_orphan_keys_revoked_total 0.0");
            }
            assertThat(cluster.leaks(openRouter, List.of(log))).isEmpty();
        }
    }
}
