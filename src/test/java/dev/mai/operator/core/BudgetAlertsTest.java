package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.BudgetAlertStatus;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BudgetAlertsTest {

    private static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    private static final Budget.Clocks CLOCKS = Budget.Clocks.agreeing(NOW);
    private static final String PERIOD = "2027-01-01T00:00:00Z";
    private static final Optional<BigDecimal> HUNDRED = Optional.of(new BigDecimal("100.00"));

    private static BudgetAlerts.Judgement judge(String spent, BudgetAlertStatus before) {
        return BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal(spent), PERIOD, before, CLOCKS);
    }

    @Test
    void thresholdsDefaultTo80And95AndAnEmptyListTurnsAlertsOff() {
        assertThat(BudgetAlerts.thresholds(null)).containsExactly(80, 95);
        assertThat(BudgetAlerts.thresholds(List.of())).isEmpty();
        assertThat(BudgetAlerts.thresholds(Arrays.asList(95, 50, 95))).containsExactly(50, 95);
    }

    @Test
    void belowEveryThresholdNothingIsReachedOrRecorded() {
        var j = judge("79.99", null);
        assertThat(j.reached()).isEmpty();
        assertThat(j.news()).isEmpty();
        assertThat(j.record()).isNull();
        assertThat(j.used()).isEqualByComparingTo("0.7999");
    }

    @Test
    void eachCrossingIsNewsOncePerPeriod() {
        var at80 = judge("80.00", null);
        assertThat(at80.reached()).containsExactly(80);
        assertThat(at80.news()).containsExactly(80);
        assertThat(at80.record()).isEqualTo(new BudgetAlertStatus(PERIOD, "100.00", List.of(80)));

        var still = judge("90.00", at80.record());
        assertThat(still.news()).isEmpty();
        assertThat(still.record()).isEqualTo(at80.record()); // no status write

        var at95 = judge("95.00", still.record());
        assertThat(at95.reached()).containsExactly(80, 95);
        assertThat(at95.news()).containsExactly(95);
        assertThat(at95.highest()).contains(95);

        assertThat(judge("99.00", at95.record()).news()).isEmpty();
    }

    @Test
    void aJumpOverBothThresholdsIsTwoPiecesOfNews() {
        assertThat(judge("96", null).news()).containsExactly(80, 95);
    }

    @Test
    void aNewPeriodStartsAfreshOnlyOnceItsEndPassedOnBothClocks() {
        BudgetAlertStatus raised = new BudgetAlertStatus("2026-12-05T00:00:00Z", "100.00", List.of(80, 95));
        Budget.Clocks justAfter = new Budget.Clocks(Instant.parse("2026-12-05T00:01:00Z"), Optional.of(Instant.parse("2026-12-05T00:01:00Z")));
        // OpenRouter has not reset the figure yet: not announced again
        var stale = BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal("97"), "2027-01-01T00:00:00Z", raised, justAfter);
        assertThat(stale.news()).isEmpty();
        // the new period's spend is low: nothing reached, the record goes
        var reset = BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal("3"), "2027-01-01T00:00:00Z", raised, CLOCKS);
        assertThat(reset.reached()).isEmpty();
        assertThat(reset.record()).isNull();
        // and a crossing in the new period is news again
        assertThat(BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal("81"), "2027-01-01T00:00:00Z", raised, CLOCKS).news())
                .containsExactly(80);
    }

    @Test
    void aLoweredLimitStartsTheRecordAfreshAndARaisedOneKeepsIt() {
        BudgetAlertStatus raised = new BudgetAlertStatus(PERIOD, "100.00", List.of(80));
        var lowered = BudgetAlerts.judge(List.of(80, 95), Optional.of(new BigDecimal("84")), new BigDecimal("82"), PERIOD, raised, CLOCKS);
        assertThat(lowered.news()).containsExactly(80, 95);
        assertThat(lowered.record()).isEqualTo(new BudgetAlertStatus(PERIOD, "84.00", List.of(80, 95)));
        // back up to 100 (a cap removed): what 82 reaches at 100 was announced already
        var back = BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal("82"), PERIOD, lowered.record(), CLOCKS);
        assertThat(back.news()).isEmpty();
        assertThat(back.reached()).containsExactly(80);
        var raisedLimit = BudgetAlerts.judge(List.of(80, 95), Optional.of(new BigDecimal("1000")), new BigDecimal("82"), PERIOD, raised,
                CLOCKS);
        assertThat(raisedLimit.reached()).isEmpty();
        assertThat(raisedLimit.news()).isEmpty();
    }

    @Test
    void alertsTurnedOffAndOnAgainDoNotRepeatAnnouncedThresholds() {
        BudgetAlertStatus raised = new BudgetAlertStatus(PERIOD, "100.00", List.of(80));
        var off = BudgetAlerts.judge(List.of(), HUNDRED, new BigDecimal("90"), PERIOD, raised, CLOCKS);
        assertThat(off.reached()).isEmpty();
        assertThat(off.record()).isEqualTo(raised);
        assertThat(BudgetAlerts.judge(List.of(95, 80), HUNDRED, new BigDecimal("90"), PERIOD, off.record(), CLOCKS).news()).isEmpty();
    }

    @Test
    void noLimitOrNoThresholdsMeansNoAlerts() {
        assertThat(BudgetAlerts.judge(List.of(80), Optional.empty(), new BigDecimal("1000"), null, null, CLOCKS).record()).isNull();
        assertThat(BudgetAlerts.judge(List.of(), HUNDRED, new BigDecimal("100"), PERIOD, null, CLOCKS).reached()).isEmpty();
    }

    @Test
    void withoutAResetThePeriodIsTheKeysLife() {
        var j = BudgetAlerts.judge(List.of(80), HUNDRED, new BigDecimal("80"), null, null, CLOCKS);
        assertThat(j.record()).isEqualTo(new BudgetAlertStatus(null, "100.00", List.of(80)));
        assertThat(BudgetAlerts.judge(List.of(80), HUNDRED, new BigDecimal("85"), null, j.record(), CLOCKS).news()).isEmpty();
    }

    @Test
    void anUnreadableRecordedPeriodCountsAsOver() {
        BudgetAlertStatus odd = new BudgetAlertStatus("soon", "100.00", List.of(80));
        assertThat(judge("81", odd).news()).as("the spend has not fallen: nothing new").isEmpty();
        var after = judge("10", odd);
        assertThat(after.record()).isNull();
        assertThat(judge("81", after.record()).news()).containsExactly(80);
    }

    @Test
    void centsDecide() {
        assertThat(BudgetAlerts.judge(List.of(80), Optional.of(new BigDecimal("0.10")), new BigDecimal("0.08"), PERIOD, null, CLOCKS)
                .reached()).containsExactly(80);
        assertThat(BudgetAlerts.judge(List.of(80), Optional.of(new BigDecimal("0.10")), new BigDecimal("0.079999"), PERIOD, null, CLOCKS)
                .reached()).isEmpty();
    }

    /** A reconcile after the boundary fed a sweep's pre-reset figures neither repeats the old crossings nor hides the new ones. */
    @Test
    void preResetFiguresAfterTheBoundaryAreNotTheNewPeriodsSpend() {
        String januaryEnds = "2027-02-01T00:00:00Z";
        String februaryEnds = "2027-03-01T00:00:00Z";
        var january = BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal("96"), januaryEnds, null,
                Budget.Clocks.agreeing(Instant.parse("2027-01-31T23:50:00Z")));
        assertThat(january.news()).containsExactly(80, 95);
        var stale = BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal("96"), februaryEnds, january.record(),
                Budget.Clocks.agreeing(Instant.parse("2027-02-01T00:06:00Z")));
        assertThat(stale.news()).as("January's spend is not February's news").isEmpty();
        var reset = BudgetAlerts.judge(List.of(80, 95), HUNDRED, BigDecimal.ZERO, februaryEnds, stale.record(),
                Budget.Clocks.agreeing(Instant.parse("2027-02-01T00:20:00Z")));
        assertThat(reset.record()).isNull();
        var february = BudgetAlerts.judge(List.of(80, 95), HUNDRED, new BigDecimal("96"), februaryEnds, reset.record(),
                Budget.Clocks.agreeing(Instant.parse("2027-02-20T12:00:00Z")));
        assertThat(february.news()).containsExactly(80, 95);
    }
}
