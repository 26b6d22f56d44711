package dev.mai.operator.reconciler;

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
        Budget.apply(status, key, Instant.parse("2026-11-26T10:00:00Z"));
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
        Budget.retire(s, new BigDecimal("60"), new BigDecimal("60"), "monthly", midMonth);
        assertThat(s.getCarriedUntil()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, midMonth)).isEqualByComparingTo("40");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Instant.parse("2026-11-30T23:59:59Z"))).isEqualByComparingTo("40");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Instant.parse("2026-12-01T00:00:00Z"))).isEqualByComparingTo("100");
        assertThat(Budget.effectiveLimit(null, s, midMonth)).isNull();

        // a second replacement in the same month adds up; lifetime usage keeps everything
        Budget.retire(s, new BigDecimal("70"), new BigDecimal("30"), "monthly", midMonth);
        assertThat(s.getCarriedUsage()).isEqualTo("130.00");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, midMonth)).isEqualByComparingTo("10");

        // the status figures include the carried ones; after the boundary the period starts afresh
        applied(s, key("10", "5", "monthly"));
        assertThat(s.getUsage()).isEqualTo("135.00");
        assertThat(s.getUsageInPeriod()).isEqualTo("95.00");
        Budget.apply(s, key("100", "0", "monthly"), Instant.parse("2026-12-01T00:00:01Z"));
        assertThat(s.getUsageInPeriod()).isEqualTo("0.00");
        assertThat(s.getCarriedUsageInPeriod()).isNull();
        assertThat(s.getCarriedUsage()).isEqualTo("130.00");
    }

    @Test
    void withoutAResetReplacedKeysCountForever() {
        MaiClientStatus s = new MaiClientStatus();
        Budget.retire(s, new BigDecimal("25"), new BigDecimal("25"), null, Instant.parse("2026-11-26T10:00:00Z"));
        assertThat(s.getCarriedUntil()).isNull();
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Instant.parse("2030-01-01T00:00:00Z"))).isEqualByComparingTo("75");
    }

    @Test
    void duringAnOverlapTheOldKeysShareIsLeftOutOfTheNewKeysLimitAndReturnsWhenItIsSettled() {
        Instant now = Instant.parse("2026-12-15T12:00:00Z");
        MaiClientStatus s = new MaiClientStatus();
        KeyInfo old = key("100", "60", "monthly");
        BigDecimal share = Budget.overlapShare(new BigDecimal("100"), s, old, now);
        assertThat(share).as("half of the 40 left").isEqualByComparingTo("20");
        s.setPendingRevocations(java.util.List.of(new dev.mai.operator.api.v1alpha1.PendingRevocation("h", null,
                dev.mai.operator.api.v1alpha1.PendingRevocation.REQUESTED, "80.00", "60.00", "60.00")));
        Budget.carryLifetime(s, old.usage());
        assertThat(Budget.committedInPeriod(s, now)).isEqualByComparingTo("80");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, now)).as("the new key's limit").isEqualByComparingTo("20");
        assertThat(Budget.committedInPeriod(s, Instant.parse("2027-01-02T00:00:00Z")))
                .as("a reservation is the old key's limit: it does not lapse at the reset").isEqualByComparingTo("80");

        // settled: the old key spent 15 more; its period spend is carried, its reservation ends
        Budget.retire(s, new BigDecimal("15"), new BigDecimal("75"), "monthly", now);
        s.setPendingRevocations(null);
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, now)).isEqualByComparingTo("25");
        assertThat(s.getCarriedUsage()).isEqualTo("75.00");
        assertThat(Budget.effectiveLimit(new BigDecimal("100"), s, Instant.parse("2027-01-01T00:00:00Z")))
                .as("the full limit returns at the boundary").isEqualByComparingTo("100");
    }

    @Test
    void aDisabledOldKeyGetsNoShareAndAnOdderAmountIsSplitToTheCentInTheNewKeysFavour() {
        Instant now = Instant.parse("2026-12-15T12:00:00Z");
        KeyInfo disabled = new KeyInfo("h", "n", "l", true, new BigDecimal("100"), new BigDecimal("40"), "monthly",
                new BigDecimal("60"), new BigDecimal("60"), new BigDecimal("60"), new BigDecimal("60"), "2026-01-01T00:00:00Z");
        assertThat(Budget.overlapShare(new BigDecimal("100"), new MaiClientStatus(), disabled, now)).isEqualByComparingTo("0");
        assertThat(Budget.overlapShare(new BigDecimal("100"), new MaiClientStatus(), key("100", "99.97", "daily"), now))
                .isEqualByComparingTo("0.01");
    }

    @Test
    void negativeOrUnreadableFiguresInStatusNeverRaiseTheLimitAboveTheSpec() {
        dev.mai.operator.api.v1alpha1.MaiClientStatus status = new dev.mai.operator.api.v1alpha1.MaiClientStatus();
        status.setCarriedUsageInPeriod("-1000");
        status.setPendingRevocations(java.util.List.of(new dev.mai.operator.api.v1alpha1.PendingRevocation(
                "a".repeat(64), "2030-01-01T00:00:00Z", "Requested", "-500", "0", "0"),
                new dev.mai.operator.api.v1alpha1.PendingRevocation("b".repeat(64), "2030-01-01T00:00:00Z", "Requested",
                        "not a number", "0", "0")));
        java.time.Instant now = java.time.Instant.parse("2026-12-04T12:00:00Z");
        assertThat(Budget.effectiveLimit(new BigDecimal("10"), status, now)).isEqualByComparingTo("10");
    }
}
