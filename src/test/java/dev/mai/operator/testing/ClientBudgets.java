package dev.mai.operator.testing;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each MaiClient may have out on OpenRouter in a limit period, as the test API server shows it:
 * the spending limit of every generation of its spec seen, and the generation its status says the
 * operator last acted on ({@code status.observedGeneration}). Fed by {@link BudgetWatch}; the
 * simulator asks it before it judges a request that changes a key.
 *
 * <p>The rule: a request of the operator may be acting on any generation from the last one its
 * status reports ({@code observedGeneration}) to the newest, so what a client may have out is the
 * largest limit among those generations. A lowered limit therefore binds once the operator has
 * reported that generation, and a raised one as soon as it exists. A generation in that range that
 * was never seen (two edits between two watch events), or an unknown client, is not judged: the
 * check may miss a breach then, but never reports one that was not.
 */
public final class ClientBudgets {

    /** What a client may have out: {@code limit} null for unlimited; not {@code known}: not judged. */
    public record Allowance(boolean known, BigDecimal limit, String why) {
        static final Allowance UNKNOWN = new Allowance(false, null, "not known");
    }

    private static final class Client {
        final Map<Long, Optional<BigDecimal>> limits = new ConcurrentHashMap<>();
        volatile long observed;
        volatile String reference;
    }

    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    private volatile Runnable refresher = () -> { };

    /** Generation {@code generation} of MaiClient {@code uid} asks for {@code limit} (empty: unlimited). */
    public void generation(String uid, String reference, long generation, Optional<BigDecimal> limit) {
        Client client = clients.computeIfAbsent(uid, u -> new Client());
        client.reference = reference;
        client.limits.put(generation, limit);
    }

    /** The status of MaiClient {@code uid} says the operator acted on {@code observedGeneration}. */
    public void observed(String uid, long observedGeneration) {
        Client client = clients.computeIfAbsent(uid, u -> new Client());
        synchronized (client) {
            client.observed = Math.max(client.observed, observedGeneration);
        }
    }

    /** Whether this client is known at all (else its keys are not judged). */
    public boolean knows(String uid) {
        return clients.containsKey(uid);
    }

    /** The generation the operator last reported having acted on (0: none yet). */
    public long observedGeneration(String uid) {
        Client client = clients.get(uid);
        return client == null ? 0 : client.observed;
    }

    /** {@code namespace/name} of the client, for messages. */
    public String reference(String uid) {
        Client client = clients.get(uid);
        return client == null || client.reference == null ? "?" : client.reference;
    }

    /** Catches up with the API server before a request is held against a client (see {@link BudgetWatch}). */
    public void refresher(Runnable refresher) {
        this.refresher = refresher;
    }

    void refresh() {
        refresher.run();
    }

    /**
     * What MaiClient {@code uid} may have out if the operator acted on any generation from
     * {@code observedGeneration} (as known when the request came) to the newest known.
     */
    public Allowance allowed(String uid, long observedGeneration) {
        Client client = clients.get(uid);
        if (client == null || client.limits.isEmpty()) {
            return Allowance.UNKNOWN;
        }
        Map<Long, Optional<BigDecimal>> limits = new TreeMap<>(client.limits);
        long newest = ((TreeMap<Long, Optional<BigDecimal>>) limits).lastKey();
        long from = Math.max(1, observedGeneration);
        if (from > newest) {
            return Allowance.UNKNOWN;
        }
        BigDecimal most = BigDecimal.ZERO;
        StringBuilder why = new StringBuilder("spec.spendingLimit of generations ").append(from).append("..").append(newest)
                .append(" (observedGeneration ").append(observedGeneration).append("):");
        for (long g = from; g <= newest; g++) {
            Optional<BigDecimal> limit = limits.get(g);
            if (limit == null) {
                return Allowance.UNKNOWN; // a generation never seen: it may have allowed more
            }
            why.append(' ').append(g).append('=').append(limit.map(BigDecimal::toPlainString).orElse("unlimited"));
            if (limit.isEmpty()) {
                return new Allowance(true, null, why.toString());
            }
            most = most.max(limit.get());
        }
        return new Allowance(true, most, why.toString());
    }
}
