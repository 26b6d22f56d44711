package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.BudgetAlerts;
import dev.mai.operator.core.Money;
import dev.mai.operator.openrouter.KeyInfo;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Budget alerts of one reconcile, from figures it already has (a fresh read or the last sweep's: no
 * request of its own): BudgetLow and {@code status.budgetAlerts} through {@link StatusBuilder}, the
 * budget metrics, and after the status is written, one Warning event per threshold newly crossed.
 * The events follow the write, so a failed write (a conflict) cannot announce a crossing twice; a crash
 * between the two loses that event, which BudgetLow and the metrics still show.
 */
@ApplicationScoped
public class SpendAlerts {

    private final Events events;
    private final ClientMetrics metrics;
    private final Requeue requeue;

    public SpendAlerts(Events events, ClientMetrics metrics, Requeue requeue) {
        this.events = events;
        this.metrics = metrics;
        this.requeue = requeue;
    }

    /** What the spend means for {@code client}, set on {@code built}; the crossings still to announce. */
    Crossings judge(MaiClient client, StatusBuilder built, KeyInfo figures, Instant now) {
        MaiClientStatus status = built.status();
        List<Integer> thresholds = BudgetAlerts.thresholds(client.getSpec().getBudgetAlerts());
        Optional<BigDecimal> limit = Money.limit(client.getSpec().getSpendingLimit());
        BigDecimal spent = Budget.spentInPeriod(status, figures, requeue.clocks(now));
        BudgetAlerts.Judgement judged = BudgetAlerts.judge(thresholds, limit, spent, status.getNextLimitResetAt(),
                status.getBudgetAlerts(), requeue.clocks(now));
        built.budgetLow(thresholds, limit, judged);
        status.setBudgetAlerts(judged.record());
        metrics.budget(client, judged.used() == null ? Double.NaN : judged.used().doubleValue());
        return new Crossings(judged.news(), spent, limit.orElse(null), status.getNextLimitResetAt());
    }

    /** The thresholds newly crossed and what to say about them. */
    record Crossings(List<Integer> news, BigDecimal spent, BigDecimal limit, String resetsAt) {

        static final Crossings NONE = new Crossings(List.of(), null, null, null);
    }

    /** One Warning event per newly crossed threshold: call once the status recording them is written. */
    void announce(MaiClient client, Crossings crossings) {
        for (Integer threshold : crossings.news()) {
            events.warning(client, Events.BUDGET_LOW, "The spend in this period, " + Money.cents(crossings.spent()).toPlainString()
                    + " USD, is at or above " + threshold + "% of the spending limit of " + Money.cents(crossings.limit()).toPlainString()
                    + " USD" + (crossings.resetsAt() == null ? " (it does not reset)" : "; the limit resets at " + crossings.resetsAt()));
        }
    }
}
