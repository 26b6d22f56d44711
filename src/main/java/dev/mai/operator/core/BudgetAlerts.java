package dev.mai.operator.core;

import dev.mai.operator.api.v1alpha1.BudgetAlertStatus;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Budget alerts: which thresholds of {@code spec.budgetAlerts} (percent of the period's spending
 * limit) the period's spend has reached, and which of those are news. What was announced is kept in
 * {@code status.budgetAlerts}, so a restart or a new leader neither repeats an alert nor loses one;
 * the record starts afresh in a new period (once its end has passed on both clocks and the spend fell
 * below a threshold it announced: figures read before OpenRouter's reset are not announced again) and when the limit is lowered (the same spend
 * is then news); a raised limit keeps it (what it reaches now it reached before), and so do alerts
 * turned off and on again. Pure: the caller posts the events and writes the status.
 */
public final class BudgetAlerts {

    /** The thresholds when spec.budgetAlerts is absent. */
    public static final List<Integer> DEFAULT = List.of(80, 95);
    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    private BudgetAlerts() {
    }

    /**
     * What the spend says now: {@code reached} — the thresholds the period's spend is at or above
     * (BudgetLow is True while there is one); {@code news} — those not announced yet in this period
     * (one Warning event each); {@code record} — the status field to keep (null while nothing was
     * announced in the period); {@code used} — the spend as a fraction of the limit.
     */
    public record Judgement(List<Integer> reached, List<Integer> news, BudgetAlertStatus record, BigDecimal used) {

        /** The highest threshold reached, if any. */
        public Optional<Integer> highest() {
            return reached.isEmpty() ? Optional.empty() : Optional.of(reached.get(reached.size() - 1));
        }
    }

    /** The thresholds in force: spec.budgetAlerts ascending, {@link #DEFAULT} when absent, none for an empty list. */
    public static List<Integer> thresholds(List<Integer> asked) {
        return asked == null ? DEFAULT : List.copyOf(new TreeSet<>(asked.stream().filter(Objects::nonNull).toList()));
    }

    /**
     * Judges {@code spent} (the period's exact spend of all the client's keys) against {@code limit}
     * (the whole period's limit; empty: unlimited, nothing to alert on), given what {@code before}
     * recorded and the period ending at {@code periodEnds} (null: no reset, the period is the key's life).
     */
    public static Judgement judge(List<Integer> thresholds, Optional<BigDecimal> limit, BigDecimal spent, String periodEnds,
            BudgetAlertStatus before, Budget.Clocks clocks) {
        if (limit.isEmpty() || limit.get().signum() <= 0) {
            return new Judgement(List.of(), List.of(), null, null);
        }
        BigDecimal used = spent.divide(limit.get(), 6, java.math.RoundingMode.HALF_EVEN);
        // a period is over once its end has passed AND the spend fell below a threshold it announced: figures
        // read before OpenRouter's reset (a sweep's, up to an interval old) still show the old period's spend
        BudgetAlertStatus record = before != null && !lowered(before, limit.get())
                && !(over(before, periodEnds, clocks) && fellBelow(before, spent, limit.get())) ? before : null;
        if (thresholds.isEmpty()) {
            return new Judgement(List.of(), List.of(), record, used); // alerts off: what was announced stays on record
        }
        String limitText = Money.cents(limit.get()).toPlainString();
        List<Integer> reached = thresholds.stream().filter(t -> reaches(spent, limit.get(), t)).toList();
        List<Integer> raised = record == null || record.getRaised() == null ? List.of() : record.getRaised();
        List<Integer> news = reached.stream().filter(t -> !raised.contains(t)).toList();
        TreeSet<Integer> all = new TreeSet<>(raised);
        all.addAll(reached);
        BudgetAlertStatus next = all.isEmpty() ? null
                : new BudgetAlertStatus(record == null ? periodEnds : record.getPeriodEnds(), limitText, new ArrayList<>(all));
        return new Judgement(reached, news, next, used);
    }

    private static boolean reaches(BigDecimal spent, BigDecimal limit, int threshold) {
        return spent.multiply(HUNDRED).compareTo(limit.multiply(BigDecimal.valueOf(threshold))) >= 0;
    }

    /** True when the spend is below a threshold the record announced: only a reset lowers a period's spend. */
    private static boolean fellBelow(BudgetAlertStatus record, BigDecimal spent, BigDecimal limit) {
        return record.getRaised() == null || record.getRaised().stream().anyMatch(t -> t == null || !reaches(spent, limit, t));
    }

    /** True when {@code limit} is below the one the record's alerts were measured against (or that cannot be read). */
    private static boolean lowered(BudgetAlertStatus record, BigDecimal limit) {
        try {
            return record.getLimit() == null || limit.compareTo(new BigDecimal(record.getLimit())) < 0;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /**
     * True when the recorded period is over: its end has passed on both clocks (plus the margin), it
     * cannot be read, or the client went from a period to none or back.
     */
    private static boolean over(BudgetAlertStatus record, String periodEnds, Budget.Clocks clocks) {
        if (record.getPeriodEnds() == null || periodEnds == null) {
            return record.getPeriodEnds() != null || periodEnds != null;
        }
        try {
            return clocks.passed(Instant.parse(record.getPeriodEnds()));
        } catch (DateTimeParseException e) {
            return true;
        }
    }
}
