package dev.mai.operator.core;

import dev.mai.operator.api.v1alpha1.Labels;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The caps on {@code spec.spendingLimit}: the operator's own (MAI_MAX_SPENDING_LIMIT) and the
 * namespace's (the label {@value Labels#SPENDING_CAP} on the Namespace, which only whoever may edit
 * the Namespace can change). A spec above a cap — or unlimited under one — is refused; a MaiClient
 * that already has a key when a cap is lowered below its limit keeps working with the key's limit
 * held at the cap (a lowered cap is a brake, not a stop). A cap label that is not an amount refuses
 * every limit in its namespace: it fails closed.
 */
public final class SpendingCaps {

    private final Optional<BigDecimal> operatorCap;

    public SpendingCaps(Optional<BigDecimal> operatorCap) {
        this.operatorCap = operatorCap;
    }

    /** One cap in force and where it comes from (for messages). */
    public record Cap(BigDecimal amount, String source) {
    }

    /**
     * A spec above a cap: {@code rule} names the cap and where it comes from; {@code clampTo} is the
     * lowest cap, which a client with a key gets as its limit meanwhile (empty when a cap label cannot
     * be read: then nothing is changed).
     */
    public record Breach(String rule, Optional<BigDecimal> clampTo) {

        /** The violation as InvalidSpec reports it. */
        public SpecValidator.Violation violation() {
            return new SpecValidator.Violation("spec.spendingLimit", rule);
        }
    }

    /**
     * Whether {@code spendingLimit} (already valid on its own) breaks a cap, with {@code label} the value of
     * {@value Labels#SPENDING_CAP} on {@code namespace} (empty: not capped there).
     */
    public Optional<Breach> breach(IntOrString spendingLimit, String namespace, Optional<String> label) {
        String where = "label " + Labels.SPENDING_CAP + " on Namespace " + namespace;
        if (label.isPresent() && !readable(label.get())) {
            return Optional.of(new Breach("cannot be checked: the " + where + " is '" + label.get() + "', not a positive USD "
                    + "amount with at most 2 decimals (ask the cluster's administrator to correct it; nothing is created or "
                    + "changed meanwhile)", Optional.empty()));
        }
        List<Cap> caps = new ArrayList<>();
        operatorCap.ifPresent(c -> caps.add(new Cap(Money.cents(c), "MAI_MAX_SPENDING_LIMIT, the operator's cap")));
        label.ifPresent(l -> caps.add(new Cap(Money.cents(new BigDecimal(l)), "the cap of namespace " + namespace + " (" + where
                + ")")));
        Optional<Cap> lowest = caps.stream().min(Comparator.comparing(Cap::amount));
        Optional<BigDecimal> asked = Money.limit(spendingLimit);
        if (lowest.isEmpty() || asked.isPresent() && asked.get().compareTo(lowest.get().amount()) <= 0) {
            return Optional.empty();
        }
        Cap cap = lowest.get();
        String rule = asked.isEmpty()
                ? "may not be unlimited: at most " + cap.amount().toPlainString() + " USD, " + cap.source()
                : "must be at most " + cap.amount().toPlainString() + " USD, " + cap.source();
        return Optional.of(new Breach(rule, Optional.of(cap.amount())));
    }

    /** A cap label's value: a positive USD amount with at most 2 decimals. */
    public static boolean readable(String label) {
        return Money.AMOUNT.matcher(label).matches() && new BigDecimal(label).signum() > 0;
    }
}
