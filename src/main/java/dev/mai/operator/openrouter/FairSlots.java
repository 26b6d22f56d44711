package dev.mai.operator.openrouter;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Who gets the next OpenRouter request slot: slots come at a fixed pace (one per interval, never
 * two at once), and go round robin to the turns (tenants) that have requests waiting, first come
 * first served within a turn. A tenant with a thousand requests queued (many MaiClients, accounts
 * of its own, a retry storm) therefore delays another tenant's request by at most one slot per
 * turn waiting. Pure and not thread-safe: {@link RequestGate} holds its lock around every call
 * and supplies the time (nanoseconds from any fixed origin, as {@link System#nanoTime()}).
 */
final class FairSlots {

    /** One waiting request: whose turn it takes, and which account it goes to (a pause refuses it). */
    static final class Ticket {
        final String turn;
        final String account;
        boolean granted;
        boolean refused;

        private Ticket(String turn, String account) {
            this.turn = turn;
            this.account = account;
        }
    }

    private final long intervalNanos;
    private final Map<String, ArrayDeque<Ticket>> waiting = new HashMap<>();
    /** Turns with requests waiting, the one whose turn is next first. */
    private final ArrayDeque<String> turns = new ArrayDeque<>();
    private boolean started;
    private long nextSlot;

    FairSlots(long intervalNanos) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("the interval between slots must be positive");
        }
        this.intervalNanos = intervalNanos;
    }

    /** Queues a request of {@code account} that takes the account's own turn. */
    Ticket enqueue(String account) {
        return enqueue(account, account);
    }

    /** Queues a request to {@code account} in {@code turn}: last of its turn, its turn last in the round if it had none waiting. */
    Ticket enqueue(String turn, String account) {
        Ticket ticket = new Ticket(turn, account);
        waiting.computeIfAbsent(turn, a -> {
            turns.addLast(a);
            return new ArrayDeque<>();
        }).addLast(ticket);
        return ticket;
    }

    /**
     * Gives the slot that is due at {@code now} to the request whose turn it is; null when no slot is
     * due or nothing waits. A slot nobody took is not saved up: after an idle spell the next request
     * goes at once and the pace starts again from there.
     */
    Ticket grant(long now) {
        if (turns.isEmpty() || started && now - nextSlot < 0) {
            return null;
        }
        // woken a little late (less than an interval): keep the schedule, so a backlog runs at the full rate
        long slot = started && now - nextSlot < intervalNanos ? nextSlot : now;
        nextSlot = slot + intervalNanos;
        started = true;
        String turn = turns.pollFirst();
        ArrayDeque<Ticket> queue = waiting.get(turn);
        Ticket ticket = queue.pollFirst();
        if (queue.isEmpty()) {
            waiting.remove(turn);
        } else {
            turns.addLast(turn);
        }
        ticket.granted = true;
        return ticket;
    }

    /** Nanoseconds from {@code now} until the next slot is due (0 or less: due). */
    long untilNextSlot(long now) {
        return started ? nextSlot - now : 0;
    }

    /** Takes a request out of the queue (its caller gave up waiting); it keeps no slot. */
    void withdraw(Ticket ticket) {
        ArrayDeque<Ticket> queue = waiting.get(ticket.turn);
        if (queue != null && queue.remove(ticket) && queue.isEmpty()) {
            waiting.remove(ticket.turn);
            turns.remove(ticket.turn);
        }
    }

    /** Refuses every waiting request of {@code account} (it was paused after a 429); none of them takes a slot. */
    void refuseAll(String account) {
        for (var it = waiting.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            entry.getValue().removeIf(t -> {
                if (t.account.equals(account)) {
                    t.refused = true;
                    return true;
                }
                return false;
            });
            if (entry.getValue().isEmpty()) {
                it.remove();
                turns.remove(entry.getKey());
            }
        }
    }

    /** How many requests wait. */
    int waiting() {
        return waiting.values().stream().mapToInt(ArrayDeque::size).sum();
    }
}
