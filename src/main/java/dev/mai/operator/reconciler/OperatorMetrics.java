package dev.mai.operator.reconciler;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetricsV2;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * JOSDK's reconcile metrics ({@code reconciliations_execution_duration_seconds}, {@code reconciliations_started_total},
 * ...) recorded into the application's registry. The Quarkus operator SDK's own producer hands JOSDK its no-op
 * metrics in a packaged build, where the registry binds it only after the operator was configured
 * (quarkiverse/quarkus-operator-sdk#1385): the running operator exported none of them, though tests in the
 * Quarkus test harness saw them. MetricsScrapeIT checks them in a scrape of the packaged operator.
 */
public class OperatorMetrics {

    @Produces
    @Singleton
    Metrics metrics(MeterRegistry registry) {
        return MicrometerMetricsV2.newBuilder(registry).build();
    }
}
