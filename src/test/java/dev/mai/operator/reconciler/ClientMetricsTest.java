package dev.mai.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code mai_client_condition} series as Prometheus scrapes them: one per condition the status has
 * now, the old status/reason gone after a change, every series of a deleted client gone.
 */
class ClientMetricsTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ClientMetrics metrics = new ClientMetrics(registry, registry);

    private static MaiClient client(String namespace, String name) {
        MaiClient client = new MaiClient();
        client.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).withGeneration(1L).build());
        return client;
    }

    private static void set(MaiClientStatus status, String type, String value, String reason) {
        Conditions.set(status, type, value, reason, "a message", 1L, NOW);
    }

    /** The scraped lines that start with {@code prefix}, value included. */
    private List<String> scraped(String prefix) {
        return registry.scrape().lines().filter(l -> l.startsWith(prefix)).sorted().toList();
    }

    private static String line(String namespace, String name, String type, String status, String reason) {
        return "mai_client_condition{name=\"" + name + "\",namespace=\"" + namespace + "\",reason=\"" + reason
                + "\",status=\"" + status + "\",type=\"" + type + "\",} 1.0";
    }

    @Test
    void eachConditionIsOneSeriesValuedOneWithItsStatusAndReason() {
        MaiClientStatus status = new MaiClientStatus();
        set(status, Conditions.KEY_PROVISIONED, Conditions.TRUE, Conditions.Reason.PROVISIONED);
        set(status, Conditions.KEY_VALID, Conditions.FALSE, Conditions.Reason.KEY_DISABLED_OUTSIDE);
        set(status, Conditions.READY, Conditions.FALSE, Conditions.Reason.KEY_DISABLED_OUTSIDE);

        metrics.record(client("team-a", "abc"), status);

        assertThat(scraped("mai_client_condition{")).containsExactlyInAnyOrder(
                line("team-a", "abc", "KeyProvisioned", "True", "Provisioned"),
                line("team-a", "abc", "KeyValid", "False", "KeyDisabledOutside"),
                line("team-a", "abc", "Ready", "False", "KeyDisabledOutside"));
    }

    @Test
    void aChangedStatusOrReasonReplacesTheOldSeriesAndARemovedConditionLosesItsSeries() {
        MaiClient abc = client("team-a", "abc");
        MaiClientStatus status = new MaiClientStatus();
        set(status, Conditions.READY, Conditions.FALSE, Conditions.Reason.OPENROUTER_UNAVAILABLE);
        set(status, Conditions.APP_READY, Conditions.FALSE, Conditions.Reason.APP_PROGRESSING);
        metrics.record(abc, status);

        set(status, Conditions.READY, Conditions.FALSE, Conditions.Reason.RATE_LIMITED);
        metrics.record(abc, status);
        assertThat(scraped("mai_client_condition{")).containsExactlyInAnyOrder(
                line("team-a", "abc", "AppReady", "False", "AppProgressing"),
                line("team-a", "abc", "Ready", "False", "RateLimited"));

        set(status, Conditions.READY, Conditions.TRUE, Conditions.Reason.PROVISIONED);
        Conditions.remove(status, Conditions.APP_READY);
        metrics.record(abc, status);
        assertThat(scraped("mai_client_condition{")).containsExactlyInAnyOrder(line("team-a", "abc", "Ready", "True", "Provisioned"));
    }

    @Test
    void anUnchangedStatusKeepsTheSameSeries() {
        MaiClient abc = client("team-a", "abc");
        MaiClientStatus status = new MaiClientStatus();
        set(status, Conditions.BUDGET_LOW, Conditions.TRUE, Conditions.Reason.THRESHOLD_CROSSED);
        metrics.record(abc, status);
        metrics.record(abc, status);

        assertThat(scraped("mai_client_condition{")).containsExactly(line("team-a", "abc", "BudgetLow", "True", "ThresholdCrossed"));
        assertThat(scraped("mai_client_ready{")).hasSize(1);
    }

    @Test
    void aSecondConditionOfATypeInTheStatusMakesNoSecondSeries() {
        MaiClientStatus status = new MaiClientStatus();
        // what someone with write access to the status could leave there: two Ready entries (the CRD has no listType=map)
        status.setConditions(new java.util.ArrayList<>(List.of(
                new io.fabric8.kubernetes.api.model.ConditionBuilder().withType("Ready").withStatus("False").withReason("Pending").build(),
                new io.fabric8.kubernetes.api.model.ConditionBuilder().withType("Ready").withStatus("True").withReason("Forged").build())));
        set(status, Conditions.READY, Conditions.FALSE, Conditions.Reason.KEY_DISABLED_OUTSIDE);

        metrics.record(client("team-a", "abc"), status);

        // the first Ready, the one the operator reads and sets, is the series
        assertThat(scraped("mai_client_condition{")).containsExactly(line("team-a", "abc", "Ready", "False", "KeyDisabledOutside"));
    }

    @Test
    void clientsGoneWithoutCleanupLoseTheirSeriesWhenTheSweepFindsThemGone() {
        MaiClientStatus status = new MaiClientStatus();
        set(status, Conditions.READY, Conditions.TRUE, Conditions.Reason.PROVISIONED);
        metrics.record(client("team-a", "abc"), status);
        metrics.record(client("team-b", "abc"), status);

        metrics.forgetAll((namespace, name) -> namespace.equals("team-a"));

        assertThat(scraped("mai_client_ready{")).containsExactly("mai_client_ready{name=\"abc\",namespace=\"team-b\",} 1.0");
    }

    @Test
    void onlyTheOperatorsConditionTypesWithWellFormedFieldsMakeSeries() {
        MaiClientStatus status = new MaiClientStatus();
        List<io.fabric8.kubernetes.api.model.Condition> written = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) { // types of someone's own, written into the status
            written.add(new io.fabric8.kubernetes.api.model.ConditionBuilder().withType("Made" + i).withStatus("True").withReason("X").build());
        }
        written.add(new io.fabric8.kubernetes.api.model.ConditionBuilder().withStatus("True").withReason("NoType").build());
        written.add(new io.fabric8.kubernetes.api.model.ConditionBuilder().withType(Conditions.APP_READY).withStatus("True")
                .withReason("A".repeat(100_000)).build());
        written.add(new io.fabric8.kubernetes.api.model.ConditionBuilder().withType(Conditions.ADOPTED).withStatus("Maybe")
                .withReason("Adopted").build());
        status.setConditions(written);
        set(status, Conditions.READY, Conditions.TRUE, Conditions.Reason.PROVISIONED);

        metrics.record(client("team-a", "abc"), status);

        assertThat(scraped("mai_client_condition{")).containsExactly(line("team-a", "abc", "Ready", "True", "Provisioned"));
    }

    @Test
    void theSeriesAreReadAtTheScrapeAndNoMeterIsRegisteredPerClient() {
        int meters = registry.getMeters().size();
        MaiClientStatus status = new MaiClientStatus();
        set(status, Conditions.READY, Conditions.TRUE, Conditions.Reason.PROVISIONED);
        for (int i = 0; i < 100; i++) {
            metrics.record(client("team-" + i, "abc"), status);
        }

        assertThat(registry.getMeters()).hasSize(meters);
        assertThat(scraped("mai_client_ready{")).hasSize(100).allMatch(l -> l.endsWith(" 1.0"));
        assertThat(scraped("mai_client_condition{")).hasSize(100);
        assertThat(registry.scrape()).contains("# HELP mai_client_ready 1 when the MaiClient is Ready for its current generation, else 0",
                "# TYPE mai_client_ready gauge");
    }

    @Test
    void aDeletedClientLosesEverySeriesAndTheOthersKeepTheirs() {
        MaiClient abc = client("team-a", "abc");
        MaiClient other = client("team-b", "abc");
        MaiClientStatus status = new MaiClientStatus();
        set(status, Conditions.READY, Conditions.TRUE, Conditions.Reason.PROVISIONED);
        set(status, Conditions.ROTATING, Conditions.FALSE, Conditions.Reason.IDLE);
        metrics.record(abc, status);
        metrics.record(other, status);

        metrics.forget(abc);

        assertThat(scraped("mai_client_condition{")).containsExactlyInAnyOrder(
                line("team-b", "abc", "Ready", "True", "Provisioned"),
                line("team-b", "abc", "Rotating", "False", "Idle"));
        assertThat(scraped("mai_client_")).noneMatch(l -> l.contains("namespace=\"team-a\""));
        assertThat(scraped("mai_client_ready{")).hasSize(1);
    }

    @Test
    void aClientWithoutConditionsYetHasNoConditionSeries() {
        metrics.record(client("team-a", "abc"), new MaiClientStatus());

        assertThat(scraped("mai_client_condition{")).isEmpty();
        assertThat(scraped("mai_client_ready{")).containsExactly("mai_client_ready{name=\"abc\",namespace=\"team-a\",} 0.0");
    }
}
