package dev.mai.operator.openrouter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order and pace of OpenRouter request slots, on a made-up clock: no timing involved. */
class FairSlotsTest {

    private static final long INTERVAL = 100;

    /** Grants one slot per interval from {@code start} until nothing waits; the accounts in the order served. */
    private static List<String> drain(FairSlots slots, long start) {
        List<String> order = new ArrayList<>();
        long now = start;
        while (slots.waiting() > 0) {
            FairSlots.Ticket t = slots.grant(now);
            assertThat(t).as("a slot is due at %d", now).isNotNull();
            assertThat(slots.grant(now)).as("never two slots at once").isNull();
            order.add(t.account);
            now += INTERVAL;
        }
        return order;
    }

    @Test
    void anotherAccountsFirstRequestGetsOneOfTheNextTwoSlotsBehindFiftyQueued() {
        FairSlots slots = new FairSlots(INTERVAL);
        for (int i = 0; i < 50; i++) {
            slots.enqueue("A");
        }
        FairSlots.Ticket b = slots.enqueue("B");
        List<String> order = drain(slots, 0);
        assertThat(order).hasSize(51);
        assertThat(order.subList(0, 2)).contains("B");
        assertThat(b.granted).isTrue();
    }

    @Test
    void aRequestArrivingWhileALargeAccountIsServedWaitsAboutOneSlotPerCompetingAccount() {
        FairSlots slots = new FairSlots(INTERVAL);
        for (int i = 0; i < 100; i++) {
            slots.enqueue("sweep of a large account");
        }
        long now = 0;
        for (int i = 0; i < 10; i++, now += INTERVAL) {
            slots.grant(now);
        }
        slots.enqueue("B");
        slots.enqueue("C");
        List<String> order = drain(slots, now);
        assertThat(order.subList(0, 3)).contains("B", "C");
    }

    @Test
    void accountsWithRequestsWaitingTakeTurnsAndEachKeepsItsOwnOrder() {
        FairSlots slots = new FairSlots(INTERVAL);
        List<FairSlots.Ticket> a = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            a.add(slots.enqueue("A"));
        }
        slots.enqueue("B");
        slots.enqueue("B");
        slots.enqueue("C");
        assertThat(drain(slots, 0)).containsExactly("A", "B", "C", "A", "B", "A");
        assertThat(a).allMatch(t -> t.granted);
    }

    @Test
    void oneSlotPerIntervalAndNoSavingUpWhileIdle() {
        FairSlots slots = new FairSlots(INTERVAL);
        slots.enqueue("A");
        slots.enqueue("A");
        assertThat(slots.grant(1_000)).isNotNull();
        assertThat(slots.grant(1_000 + INTERVAL - 1)).as("before the next slot").isNull();
        assertThat(slots.untilNextSlot(1_000 + INTERVAL - 1)).isEqualTo(1);
        assertThat(slots.grant(1_000 + INTERVAL)).isNotNull();
        // idle for a long time: the next request goes at once, the one after it a full interval later
        slots.enqueue("A");
        slots.enqueue("A");
        assertThat(slots.grant(1_000_000)).isNotNull();
        assertThat(slots.grant(1_000_000)).isNull();
        assertThat(slots.grant(1_000_000 + INTERVAL)).isNotNull();
    }

    @Test
    void aBacklogRunsAtTheFullRateWhenTheWaiterWakesLate() {
        FairSlots slots = new FairSlots(INTERVAL);
        for (int i = 0; i < 3; i++) {
            slots.enqueue("A");
        }
        assertThat(slots.grant(0)).isNotNull();
        assertThat(slots.grant(INTERVAL + 30)).as("woken 30 late").isNotNull();
        assertThat(slots.grant(2 * INTERVAL - 1)).as("not sooner than the schedule").isNull();
        assertThat(slots.grant(2 * INTERVAL)).as("the schedule holds, not shifted by the late wake").isNotNull();
    }

    @Test
    void withdrawnAndRefusedRequestsTakeNoSlot() {
        FairSlots slots = new FairSlots(INTERVAL);
        FairSlots.Ticket gaveUp = slots.enqueue("A");
        FairSlots.Ticket paused1 = slots.enqueue("P");
        FairSlots.Ticket paused2 = slots.enqueue("P");
        FairSlots.Ticket b = slots.enqueue("B");
        slots.withdraw(gaveUp);
        slots.refuseAll("P");
        assertThat(paused1.refused).isTrue();
        assertThat(paused2.refused).isTrue();
        assertThat(slots.waiting()).isEqualTo(1);
        assertThat(slots.grant(0)).isSameAs(b);
        assertThat(gaveUp.granted || paused1.granted || paused2.granted).isFalse();
        assertThat(slots.waiting()).isZero();
    }

    @Test
    void aTenantWithManyAccountsOfItsOwnStillTakesOneTurn() {
        FairSlots slots = new FairSlots(INTERVAL);
        // one tenant: 50 requests spread over 10 accounts it made up (each a Secret of its own)
        for (int i = 0; i < 50; i++) {
            slots.enqueue("tenant:greedy", "made-up-account-" + (i % 10));
        }
        FairSlots.Ticket other = slots.enqueue("tenant:other", "shared-account");
        slots.grant(0);
        slots.grant(INTERVAL);
        assertThat(other.granted).as("the other tenant's request within two slots").isTrue();
    }

    @Test
    void aPauseRefusesTheAccountsRequestsInEveryTurn() {
        FairSlots slots = new FairSlots(INTERVAL);
        FairSlots.Ticket a1 = slots.enqueue("tenant:a", "paused");
        FairSlots.Ticket a2 = slots.enqueue("tenant:a", "fine");
        FairSlots.Ticket b1 = slots.enqueue("tenant:b", "paused");
        slots.refuseAll("paused");
        assertThat(a1.refused).isTrue();
        assertThat(b1.refused).isTrue();
        assertThat(slots.grant(0)).isSameAs(a2);
        assertThat(slots.waiting()).isZero();
    }
}
