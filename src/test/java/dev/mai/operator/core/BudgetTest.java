package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.openrouter.KeyInfo;
import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BudgetTest {

    private static KeyInfo key(String limit, String usage, String reset) {
        BigDecimal l = limit == null ? null : new BigDecimal(limit);
        BigDecimal u = new BigDecimal(usage);
        return new KeyInfo("h", "n", "sk-or-v1-abc...def", false, l, l == null ? null : l.subtract(u), reset, u, u, u, u,
                "2026-01-01T00:00:00Z");
    }

    private static MaiClientStatus applied(MaiClientStatus status, KeyInfo key) {
        Budget.apply(status, key, Budget.Clocks.agreeing(Instant.parse("2026-11-26T10:00:00Z")));
        return status;
    }

    @Test
    void theFirstFiguresAreWrittenExactToTheCent() {
        MaiClientStatus s = applied(new MaiClientStatus(), key("10", "3.374", "monthly"));
        assertThat(s.getUsage()).isEqualTo("3.37");
        assertThat(s.getUsageInPeriod()).isEqualTo("3.37");
        assertThat(s.getLimitRemaining()).isEqualTo("6.63");
        assertThat(s.getNextLimitResetAt()).isEqualTo("2026-12-01T00:00:00Z");
    }

    @Test
    void smallMovesAreNotWrittenLargeOnesAre() {
        MaiClientStatus s = applied(new MaiClientStatus(), key("1000", "100", null));
        applied(s, key("1000", "100.99", null));
        assertThat(s.getUsage()).as("less than $1 (1% of 1000 is $10)").isEqualTo("100.00");
        applied(s, key("1000", "101.00", null));
        assertThat(s.getUsage()).isEqualTo("101.00");
        assertThat(s.getLimitRemaining()).isEqualTo("899.00");
    }

    @Test
    void onePercentOfASmallLimitIsEnough() {
        MaiClientStatus s = applied(new MaiClientStatus(), key("10", "1.00", null));
        applied(s, key("10", "1.09", null));
        assertThat(s.getUsage()).isEqualTo("1.00");
        applied(s, key("10", "1.10", null));
        assertThat(s.getUsage()).isEqualTo("1.10");
    }

    @Test
    void crossingAThresholdIsWrittenEvenWhenTheMoveIsSmall() {
        MaiClientStatus s = applied(new MaiClientStatus(), key("1000", "499.50", null));
        applied(s, key("1000", "500.00", null));
        assertThat(s.getUsageInPeriod()).as("50% of the limit").isEqualTo("500.00");
        applied(s, key("1000", "999.50", null));
        applied(s, key("1000", "1000.00", null));
        assertThat(s.getLimitRemaining()).as("exhausted").isEqualTo("0.00");
    }

    @Test
    void resetBoundariesAreMidnightUtcAndMondays() {
        Instant thursday = Instant.parse("2026-11-26T23:59:59Z");
        assertThat(Budget.nextReset("daily", thursday)).isEqualTo("2026-11-27T00:00:00Z");
        assertThat(Budget.nextReset("weekly", thursday)).isEqualTo("2026-11-30T00:00:00Z");
        assertThat(Budget.nextReset("weekly", Instant.parse("2026-11-30T00:00:00Z"))).isEqualTo("2026-12-07T00:00:00Z");
        assertThat(Budget.nextReset("monthly", Instant.parse("2026-12-31T12:00:00Z"))).isEqualTo("2027-01-01T00:00:00Z");
        assertThat(Budget.nextReset(null, thursday)).isNull();
    }

    @Test
    void noLimitMeansNoRemainingAndDollarSteps() {
        MaiClientStatus s = applied(new MaiClientStatus(), key(null, "5", null));
        assertThat(s.getLimitRemaining()).isNull();
        applied(s, key(null, "5.99", null));
        assertThat(s.getUsage()).isEqualTo("5.00");
        applied(s, key(null, "6.00", null));
        assertThat(s.getUsage()).isEqualTo("6.00");
    }

    @Test
    void replacedKeysSpendCountsUntilTheResetBoundaryThenTheFullLimitReturns() {
        MaiClientStatus s = new MaiClientStatus();
        Instant midMonth = Instant.parse("2026-11-26T10:00:00Z");
        Budget.retire(s, new BigDecimal("60"), new BigDecimal("60"), "monthly", Budget.Clocks.agreeing(midMonth));
        assertThat(s.getCarriedUntil()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(midMonth))).isEqualByComparingTo("40");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(Instant.parse("2026-11-30T23:59:59Z")))).isEqualByComparingTo("40");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(Instant.parse("2026-12-01T00:04:59Z"))))
                .as("within the safety margin after the boundary").isEqualByComparingTo("40");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(Instant.parse("2026-12-01T00:05:00Z")))).isEqualByComparingTo("100");
        assertThat(Budget.effectiveLimit(null, s, Budget.Clocks.agreeing(midMonth))).isNull();

        // a second replacement in the same month adds up; lifetime usage keeps everything
        Budget.retire(s, new BigDecimal("70"), new BigDecimal("30"), "monthly", Budget.Clocks.agreeing(midMonth));
        assertThat(s.getCarriedUsage()).isEqualTo("130.00");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(midMonth))).isEqualByComparingTo("10");

        // the status figures include the carried ones; after the boundary the period starts afresh
        applied(s, key("10", "5", "monthly"));
        assertThat(s.getUsage()).isEqualTo("135.00");
        assertThat(s.getUsageInPeriod()).isEqualTo("95.00");
        Budget.apply(s, key("100", "0", "monthly"), Budget.Clocks.agreeing(Instant.parse("2026-12-01T00:05:01Z")));
        assertThat(s.getUsageInPeriod()).isEqualTo("0.00");
        assertThat(s.getCarriedUsageInPeriod()).isNull();
        assertThat(s.getCarriedUsage()).isEqualTo("130.00");
    }

    @Test
    void withoutAResetReplacedKeysCountForever() {
        MaiClientStatus s = new MaiClientStatus();
        Budget.retire(s, new BigDecimal("25"), new BigDecimal("25"), null, Budget.Clocks.agreeing(Instant.parse("2026-11-26T10:00:00Z")));
        assertThat(s.getCarriedUntil()).isNull();
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(Instant.parse("2030-01-01T00:00:00Z")))).isEqualByComparingTo("75");
    }

    @Test
    void duringAnOverlapTheOldKeysShareIsLeftOutOfTheNewKeysLimitAndReturnsWhenItIsSettled() {
        Instant now = Instant.parse("2026-12-15T12:00:00Z");
        MaiClientStatus s = new MaiClientStatus();
        KeyInfo old = key("100", "60", "monthly");
        BigDecimal share = Budget.overlapShare(new BigDecimal("100"), s, old, Budget.Clocks.agreeing(now));
        assertThat(share).as("half of the 40 left").isEqualByComparingTo("20");
        s.setPendingRevocations(java.util.List.of(new dev.mai.operator.api.v1alpha1.PendingRevocation("h", null,
                dev.mai.operator.api.v1alpha1.PendingRevocation.REQUESTED, "80.00", "60.00", "60.00")));
        Budget.carryLifetime(s, old.usage());
        assertThat(Budget.committedInPeriod(s, Budget.Clocks.agreeing(now))).isEqualByComparingTo("80");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(now))).as("the new key's limit").isEqualByComparingTo("20");
        assertThat(Budget.committedInPeriod(s, Budget.Clocks.agreeing(Instant.parse("2027-01-02T00:00:00Z"))))
                .as("a reservation is the old key's limit: it does not lapse at the reset").isEqualByComparingTo("80");

        // settled: the old key spent 15 more; its period spend is carried, its reservation ends
        Budget.retire(s, new BigDecimal("15"), new BigDecimal("75"), "monthly", Budget.Clocks.agreeing(now));
        s.setPendingRevocations(null);
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(now))).isEqualByComparingTo("25");
        assertThat(s.getCarriedUsage()).isEqualTo("75.00");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Budget.Clocks.agreeing(Instant.parse("2027-01-01T00:05:00Z"))))
                .as("the full limit returns at the boundary").isEqualByComparingTo("100");
    }

    @Test
    void aDisabledOldKeyGetsNoShareAndAnOdderAmountIsSplitToTheCentInTheNewKeysFavour() {
        Instant now = Instant.parse("2026-12-15T12:00:00Z");
        KeyInfo disabled = new KeyInfo("h", "n", "l", true, new BigDecimal("100"), new BigDecimal("40"), "monthly",
                new BigDecimal("60"), new BigDecimal("60"), new BigDecimal("60"), new BigDecimal("60"), "2026-01-01T00:00:00Z");
        assertThat(Budget.overlapShare(new BigDecimal("100"), new MaiClientStatus(), disabled, Budget.Clocks.agreeing(now))).isEqualByComparingTo("0");
        assertThat(Budget.overlapShare(new BigDecimal("100"), new MaiClientStatus(), key("100", "99.97", "daily"), Budget.Clocks.agreeing(now)))
                .isEqualByComparingTo("0.01");
    }

    @Test
    void negativeOrUnreadableFiguresInStatusNeverRaiseTheLimitAboveTheSpecAndUnreadableOnesFailClosed() {
        dev.mai.operator.api.v1alpha1.MaiClientStatus status = new dev.mai.operator.api.v1alpha1.MaiClientStatus();
        status.setCarriedUsageInPeriod("-1000");
        status.setPendingRevocations(java.util.List.of(new dev.mai.operator.api.v1alpha1.PendingRevocation(
                "a".repeat(64), "2030-01-01T00:00:00Z", "Requested", "-500", "0", "0"),
                new dev.mai.operator.api.v1alpha1.PendingRevocation("b".repeat(64), "2030-01-01T00:00:00Z", "Requested",
                        "not a number", "0", "0")));
        java.time.Instant now = java.time.Instant.parse("2026-12-04T12:00:00Z");
        // a figure nobody can read fails closed: nothing is left to hand out
        assertThat(Budget.effectiveLimit(new BigDecimal("10"), status, Budget.Clocks.agreeing(now))).isEqualByComparingTo("0");
        status.setPendingRevocations(java.util.List.of(status.getPendingRevocations().get(0)));
        assertThat(Budget.effectiveLimit(new BigDecimal("10"), status, Budget.Clocks.agreeing(now))).as("negatives count as 0")
                .isEqualByComparingTo("10");
        status.setCarriedUsageInPeriod("4");
        status.setCarriedUntil("soon");
        assertThat(Budget.effectiveLimit(new BigDecimal("10"), status, Budget.Clocks.agreeing(now.plusSeconds(86_400 * 400))))
                .as("an unreadable end of the carried period keeps the spend carried").isEqualByComparingTo("6");
    }

    /**
     * Resets judged on two clocks: the operator's and OpenRouter's (its Date). A replaced key's 60 of
     * a monthly 100 is carried until 2027-01-01; the full limit returns only once both clocks are 5
     * minutes past it. Rows: operator's clock, OpenRouter's (null: no answer seen yet), the limit.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "operator {0}, OpenRouter {1}: limit {2}")
    @org.junit.jupiter.params.provider.CsvSource(nullValues = "none", value = {
        "2026-12-31T23:00:00Z, 2026-12-31T23:00:00Z, 40",
        // the operator's clock jumped across the month boundary, OpenRouter's has not: nothing is raised
        "2027-01-01T00:10:00Z, 2026-12-31T23:58:00Z, 40",
        "2027-03-01T00:00:00Z, 2026-12-31T23:58:00Z, 40",
        // OpenRouter past the boundary but inside the margin
        "2027-01-01T00:10:00Z, 2027-01-01T00:04:59Z, 40",
        // both past boundary plus margin
        "2027-01-01T00:10:00Z, 2027-01-01T00:05:00Z, 100",
        // OpenRouter's clock ahead, the operator's not yet past: nothing is raised either
        "2026-12-31T23:58:00Z, 2027-01-01T00:10:00Z, 40",
        "2027-01-01T00:04:00Z, 2027-01-01T00:10:00Z, 40",
        "2027-01-01T00:05:00Z, 2027-01-01T00:10:00Z, 100",
        // OpenRouter's clock unknown (no answer yet): the carried spend stays
        "2027-01-01T00:10:00Z, none, 40",
    })
    void theCarriedSpendIsDroppedOnlyWhenBothClocksArePastTheBoundaryPlusTheMargin(String operator, String openRouter,
            String limit) {
        MaiClientStatus s = new MaiClientStatus();
        Budget.retire(s, new BigDecimal("60"), new BigDecimal("60"), "monthly", Budget.Clocks.agreeing(Instant.parse("2026-12-15T12:00:00Z")));
        assertThat(s.getCarriedUntil()).isEqualTo("2027-01-01T00:00:00Z");
        Budget.Clocks clocks = new Budget.Clocks(Instant.parse(operator), java.util.Optional.ofNullable(openRouter).map(Instant::parse));
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, clocks)).isEqualByComparingTo(limit);
        Budget.apply(s, key("40", "0", "monthly"), clocks);
        assertThat(s.getCarriedUsageInPeriod()).as("the carried figure in status").isEqualTo("100".equals(limit) ? null : "60.00");
    }

    @Test
    void aKeyRetiredWithTheClocksOnTwoSidesOfABoundaryIsCarriedToTheLaterPeriodsEnd() {
        MaiClientStatus s = new MaiClientStatus();
        Budget.retire(s, new BigDecimal("60"), new BigDecimal("60"), "monthly",
                new Budget.Clocks(Instant.parse("2026-12-31T23:58:00Z"), java.util.Optional.of(Instant.parse("2027-01-01T00:01:00Z"))));
        assertThat(s.getCarriedUntil()).as("never dropped before either clock's period is over").isEqualTo("2027-02-01T00:00:00Z");
    }

    @Test
    void waitingForTheResetCountsOnTheSlowerClock() {
        Instant boundary = Instant.parse("2027-01-01T00:00:00Z");
        Budget.Clocks clocks = new Budget.Clocks(Instant.parse("2027-01-01T00:10:00Z"), java.util.Optional.of(Instant.parse("2026-12-31T23:00:00Z")));
        assertThat(clocks.untilPassed(boundary)).isEqualTo(java.time.Duration.ofMinutes(65));
        assertThat(Budget.Clocks.agreeing(Instant.parse("2027-01-01T00:06:00Z")).untilPassed(boundary)).isZero();
    }

    /** No amount the budget computes for a key is ever 0 or below when it is sent: nothing left reads as "disable", "create nothing". */
    @org.junit.jupiter.params.ParameterizedTest(name = "spec {0}, committed {1}: nothing left {2}")
    @org.junit.jupiter.params.provider.CsvSource({
        "100, 60, false",
        "100, 99.99, false",
        "100, 100, true",
        "100, 130, true",
        "100, 99.996, true",
        "0.01, 0, false",
    })
    void nothingLeftIsJudgedAtCents(String spec, String committed, boolean nothingLeft) {
        MaiClientStatus s = new MaiClientStatus();
        s.setCarriedUsageInPeriod(committed);
        BigDecimal limit = Budget.effectiveLimit(new BigDecimal(spec), s, Budget.Clocks.agreeing(Instant.parse("2026-12-15T12:00:00Z")));
        assertThat(Budget.nothingLeft(limit)).isEqualTo(nothingLeft);
        assertThat(limit.signum() > 0 || nothingLeft).as("a positive limit unless nothing is left").isTrue();
    }
}
