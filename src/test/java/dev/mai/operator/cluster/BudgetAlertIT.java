package dev.mai.operator.cluster;

import static dev.mai.operator.testing.ClientConditions.awaitReady;
import static dev.mai.operator.testing.ClientConditions.condition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.testing.Clients;
import dev.mai.operator.testing.OpenRouterSimulator;
import dev.mai.operator.testing.OperatorProcess;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Budget alerts on a real kube-apiserver, by the packaged operator under deploy/'s ServiceAccount:
 * spending across 80% and 95% of the limit gives BudgetLow=True and exactly one Warning event per
 * threshold — also across operator restarts (what was announced is kept in status) — from the
 * sweep's figures alone (no OpenRouter request of its own), with the budget metrics; a new period
 * clears BudgetLow.
 */
class BudgetAlertIT {

    private static final Path WORK = Path.of("target/real-budget-alerts");
    private static final String NS = "tenant-budget";
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    /** Every process of the test on the same OpenRouter account: the first one's management key, kept aside. */
    private static final Path ACCOUNT = WORK.resolve("account-key");
    private static final Map<String, String> FAST = Map.of("MAI_VALIDATION_INTERVAL", "1s",
            "MAI_PROVISIONING_KEY_FILE", ACCOUNT.toAbsolutePath().toString());

    static InstalledOperator installed;
    static OpenRouterSimulator openRouter;
    static KubernetesClient admin;

    @BeforeAll
    static void install() throws Exception {
        installed = InstalledOperator.install("deploy", UnaryOperator.identity(), WORK, List.of(NS));
        admin = installed.admin();
        openRouter = new OpenRouterSimulator();
        OperatorProcess.writePrivate(ACCOUNT, openRouter.newManagementKey());
    }

    @AfterAll
    static void stop() {
        if (installed != null) {
            installed.close();
        }
        if (openRouter != null) {
            openRouter.close();
        }
    }

    @Test
    void crossingsAreAnnouncedOncePerPeriodAcrossRestartsAndTheResetClearsBudgetLow() throws Exception {
        OperatorProcess first = installed.start(openRouter, "budget-0", FAST);
        admin.resource(Clients.with(Clients.maiClient(NS, "abc", "Budget Co", "100"), s -> s.setLimitReset("monthly"))).create();
        awaitReady(() -> get(), PATIENCE);
        String hash = get().getStatus().getKeyHash();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(budgetLow()).satisfies(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("WithinBudget");
            assertThat(c.getMessage()).contains("below 80% of the spending limit of 100.00 USD").contains("alerts at 80%, 95%");
        }));

        InstalledOperator.awaitSweeps(first, 2);
        openRouter.clearRequests();
        openRouter.spend(hash, new BigDecimal("81.50"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(budgetLow()).satisfies(c -> {
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("ThresholdCrossed");
            assertThat(c.getMessage()).contains("reached 80% of the spending limit of 100.00 USD");
        }));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(announced()).containsExactly(80));
        assertThat(get().getStatus().getBudgetAlerts().getRaised()).containsExactly(80);
        assertThat(openRouter.requests()).as("the sweep's listing is all the alerts needed")
                .allSatisfy(r -> assertThat(r.operation()).isEqualTo("GET /keys"));
        String metrics = first.get("/q/metrics").body();
        String series = "{name=\"abc\",namespace=\"" + NS + "\"}";
        assertThat(metrics).contains("mai_client_spending_limit_usd" + series + " 100.0")
                .contains("mai_client_budget_used_ratio" + series + " 0.815")
                .contains("mai_client_budget_low" + series + " 1.0")
                .containsPattern("mai_client_limit_reset_timestamp_seconds" + java.util.regex.Pattern.quote(series) + " 1\\.[0-9]+E9");

        OperatorProcess second = restart(first, "budget-1");
        assertThat(announced()).as("a restart does not repeat the 80% alert").containsExactly(80);

        openRouter.spend(hash, new BigDecimal("15"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(budgetLow().getMessage()).contains("reached 95%"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(announced()).containsExactly(80, 95));

        OperatorProcess third = restart(second, "budget-2");
        assertThat(announced()).as("nor the 95% one").containsExactly(80, 95);
        assertThat(third.get("/q/metrics").body()).contains("mai_client_budget_low" + series + " 1.0");

        openRouter.newPeriod();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(budgetLow()).satisfies(c -> {
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("WithinBudget");
        }));
        InstalledOperator.awaitSweeps(third, 2);
        assertThat(announced()).containsExactly(80, 95);
        assertThat(condition(get(), "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
    }

    /** Stops {@code running} and starts the next process, which has reconciled and swept a few times on return. */
    private static OperatorProcess restart(OperatorProcess running, String pod) throws Exception {
        running.close();
        OperatorProcess next = installed.start(openRouter, pod, FAST);
        // a new process counts its sweeps from 0; its HTTP port is known once it has started
        await().atMost(PATIENCE).ignoreExceptions().until(() -> InstalledOperator.completeSweeps(next) >= 3);
        return next;
    }

    private static MaiClient get() {
        return admin.resources(MaiClient.class).inNamespace(NS).withName("abc").get();
    }

    private static Condition budgetLow() {
        return condition(get(), "BudgetLow").orElseThrow();
    }

    /** The thresholds of the BudgetLow events on the MaiClient, each as many times as it was posted. */
    private static List<Integer> announced() {
        return admin.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "BudgetLow".equals(e.getReason()) && "abc".equals(e.getInvolvedObject().getName()))
                .sorted(java.util.Comparator.comparing(BudgetAlertIT::message))
                .flatMap(e -> java.util.stream.Stream.generate(() -> threshold(e)).limit(e.getCount() == null ? 1 : e.getCount()))
                .toList();
    }

    private static String message(Event e) {
        return e.getMessage() == null ? "" : e.getMessage();
    }

    private static Integer threshold(Event e) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("at or above ([0-9]+)%").matcher(message(e));
        return m.find() ? Integer.valueOf(m.group(1)) : -1;
    }
}
