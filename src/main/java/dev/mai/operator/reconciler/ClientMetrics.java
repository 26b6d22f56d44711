package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.openrouter.KeyInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.prometheus.client.Collector;
import io.prometheus.client.GaugeMetricFamily;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client series at {@code /q/metrics}, set from the status each reconcile computes —
 * no write needed, so exact figures live here while status only moves on significant changes:
 * {@code mai_client_ready}, {@code mai_client_usage_usd}, {@code mai_client_usage_in_period_usd},
 * {@code mai_client_limit_remaining_usd}, {@code mai_client_last_validated_seconds} and
 * {@code mai_client_key_created_seconds} (key age is {@code time() - mai_client_key_created_seconds}),
 * {@code mai_client_spending_limit_usd}, {@code mai_client_limit_reset_timestamp_seconds},
 * {@code mai_client_budget_used_ratio} and {@code mai_client_budget_low},
 * labelled by namespace and name. Money is OpenRouter's exact figure from the last read or sweep.
 * {@code mai_client_condition} (labels also {@code type}, {@code status}, {@code reason}) is 1 for each
 * condition the status has now, as cert-manager's {@code certmanager_certificate_ready_status}: one series
 * per type, its old status and reason dropped when they change, so alerts can say why a client is not Ready.
 * <p>
 * The per-client series are not Micrometer meters: one Prometheus collector reads them from a map of the
 * clients' current figures at each scrape. As meters (about 18 per client, each twice through Quarkus's
 * composite registry) they cost some 8 KiB of heap per client, 80 MiB at 10,000 clients; as a map entry
 * a few hundred bytes. A client's series are gone as soon as its entry is.
 */
// created at start-up, not at first use: the counters registered at 0 are there before anything happens
@Startup
@ApplicationScoped
public class ClientMetrics {

    private final MeterRegistry registry;
    private final Map<String, Values> clients = new ConcurrentHashMap<>();

    /** The current figures of one client, read at each scrape. */
    static final class Values {
        final String namespace;
        final String name;
        volatile double ready = Double.NaN;
        volatile double usage = Double.NaN;
        volatile double keyCreated = Double.NaN;
        volatile double usageInPeriod = Double.NaN;
        volatile double limitRemaining = Double.NaN;
        volatile double lastValidated = Double.NaN;
        volatile double spendingLimit = Double.NaN;
        volatile double limitReset = Double.NaN;
        volatile double budgetUsed = Double.NaN;
        volatile double budgetLow = Double.NaN;
        /** The condition series published now: the labels type, status and reason of each. */
        volatile List<List<String>> conditions = List.of();

        Values(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }
    }

    private static final java.util.Set<String> STATUSES = java.util.Set.of(Conditions.TRUE, Conditions.FALSE, Conditions.UNKNOWN);
    /** A condition reason as Kubernetes' metav1.Condition allows it, at most 128 characters. */
    private static final java.util.regex.Pattern REASON = java.util.regex.Pattern.compile("[A-Za-z]([A-Za-z0-9_,:]{0,126}[A-Za-z0-9_])?");

    /** One per-client series: its name, what it means, and where its value lives. */
    private record Series(String name, String description, java.util.function.ToDoubleFunction<Values> value) {
    }

    private static final java.util.List<Series> SERIES = java.util.List.of(
            new Series("mai_client_ready", "1 when the MaiClient is Ready for its current generation, else 0", x -> x.ready),
            new Series("mai_client_usage_usd", "Lifetime OpenRouter usage of the client's current key, USD, as last seen", x -> x.usage),
            new Series("mai_client_key_created_seconds", "When OpenRouter created the client's current key, Unix seconds",
                    x -> x.keyCreated),
            new Series("mai_client_usage_in_period_usd", "OpenRouter usage of the client's key in the current limit period, USD",
                    x -> x.usageInPeriod),
            new Series("mai_client_limit_remaining_usd", "What the client's key may still spend in this period, USD (NaN: no limit)",
                    x -> x.limitRemaining),
            new Series("mai_client_last_validated_seconds",
                    "When OpenRouter last confirmed the client's key (sweep or read), Unix seconds", x -> x.lastValidated),
            new Series("mai_client_spending_limit_usd", "The client's spending limit per period, USD (NaN: unlimited)",
                    x -> x.spendingLimit),
            new Series("mai_client_limit_reset_timestamp_seconds", "When the client's limit resets next, Unix seconds "
                    + "(NaN: it does not reset)", x -> x.limitReset),
            new Series("mai_client_budget_used_ratio", "The period's spend of all the client's keys as a fraction of its "
                    + "spending limit, as last seen (1 = all spent; NaN: unlimited)", x -> x.budgetUsed),
            new Series("mai_client_budget_low", "1 while the period's spend is at or above one of the client's budget alert "
                    + "thresholds (BudgetLow=True), else 0", x -> x.budgetLow));

    /** mai_keys_retained_total and its {@code secret} values. */
    static final String RETAINED = "mai_keys_retained_total";
    static final String RETAINED_KEPT = "kept";
    static final String RETAINED_WITH_NAMESPACE = "deleted_with_namespace";
    /** One series per condition of each client, valued 1. */
    static final String CONDITION = "mai_client_condition";

    /** {@code prometheus}: the Prometheus registry /q/metrics scrapes; the per-client series go into its collector registry. */
    public ClientMetrics(MeterRegistry registry, PrometheusMeterRegistry prometheus) {
        // both series from the start, at 0: an alert on increase() sees the first key retained
        registry.counter(RETAINED, "secret", RETAINED_KEPT);
        registry.counter(RETAINED, "secret", RETAINED_WITH_NAMESPACE);
        this.registry = registry;
        new PerClient().register(prometheus.getPrometheusRegistry());
    }

    /** The per-client series, from {@link #clients} as it is at the scrape; labels in Micrometer's order (sorted by name). */
    private final class PerClient extends Collector {

        private static final List<String> LABELS = List.of("name", "namespace");
        private static final List<String> CONDITION_LABELS = List.of("name", "namespace", "reason", "status", "type");

        @Override
        public List<MetricFamilySamples> collect() {
            List<MetricFamilySamples> out = new ArrayList<>();
            for (Series series : SERIES) {
                GaugeMetricFamily family = new GaugeMetricFamily(series.name(), series.description(), LABELS);
                clients.values().forEach(v -> family.addMetric(List.of(v.name, v.namespace), series.value().applyAsDouble(v)));
                out.add(family);
            }
            GaugeMetricFamily conditions = new GaugeMetricFamily(CONDITION,
                    "1 for each condition a MaiClient has now, by type, status and reason", CONDITION_LABELS);
            clients.values().forEach(v -> v.conditions.forEach(c -> conditions.addMetric(
                    List.of(v.name, v.namespace, c.get(2), c.get(1), c.get(0)), 1)));
            out.add(conditions);
            return out;
        }
    }

    /** Records what the status of {@code client} says. */
    public void record(MaiClient client, MaiClientStatus status) {
        Values v = values(client);
        v.ready = Conditions.isTrueFor(status, Conditions.READY, client.getMetadata().getGeneration()) ? 1 : 0;
        if (Double.isNaN(v.usage)) {
            // until OpenRouter is read, the status's (rounded) figure
            v.usage = Optional.ofNullable(status.getUsage()).map(u -> new BigDecimal(u).doubleValue()).orElse(Double.NaN);
        }
        v.keyCreated = epochSeconds(status.getKeyCreatedAt());
        v.spendingLimit = limit(client);
        v.limitReset = epochSeconds(status.getNextLimitResetAt());
        v.budgetLow = Conditions.find(status, Conditions.BUDGET_LOW).filter(c -> Conditions.TRUE.equals(c.getStatus())).isPresent()
                ? 1 : 0;
        if (Double.isNaN(v.spendingLimit)) {
            v.budgetUsed = Double.NaN;
        }
        // one series per type the operator sets, from the type's first condition (the one the operator reads and
        // sets). Whoever may write the status could add others; a second condition of a type, a type of its own, a
        // status other than True/False/Unknown or a reason that is no reason (Kubernetes' format, at most 128
        // characters here) makes no series, so the scrape's size stays the operator's to decide
        Map<String, List<String>> byType = new java.util.LinkedHashMap<>();
        for (var c : Optional.ofNullable(status.getConditions()).orElse(List.of())) {
            if (c.getType() != null && Conditions.TYPES.contains(c.getType()) && !byType.containsKey(c.getType())) {
                String reason = c.getReason() == null ? "" : c.getReason();
                boolean wellFormed = STATUSES.contains(c.getStatus()) && (reason.isEmpty() || REASON.matcher(reason).matches());
                byType.put(c.getType(), wellFormed ? List.of(c.getType(), c.getStatus(), reason) : List.of());
            }
        }
        byType.values().removeIf(List::isEmpty);
        v.conditions = List.copyOf(byType.values());
    }

    /** Records the period's spend as a fraction of the limit ({@code NaN}: no limit), exact, from the figures just seen. */
    public void budget(MaiClient client, double used) {
        values(client).budgetUsed = used;
    }

    /** The spec's limit, NaN for unlimited or a spec that does not validate (reported as InvalidSpec). */
    private static double limit(MaiClient client) {
        try {
            return client.getSpec() == null ? Double.NaN
                    : dev.mai.operator.core.Money.limit(client.getSpec().getSpendingLimit()).map(BigDecimal::doubleValue).orElse(Double.NaN);
        } catch (IllegalArgumentException invalid) {
            return Double.NaN;
        }
    }

    /** Records what OpenRouter said of the client's key at {@code at}: exact money, and the validation time. */
    public void observed(MaiClient client, KeyInfo key, Instant at) {
        Values v = values(client);
        v.usage = key.usage().doubleValue();
        v.usageInPeriod = key.usageInPeriod().doubleValue();
        v.limitRemaining = key.limitRemaining() == null ? Double.NaN : key.limitRemaining().doubleValue();
        v.lastValidated = at.getEpochSecond();
    }

    /** Counts a key replaced by a new one ({@code mai_key_rotations_total}, by why). */
    public void rotated(String reason) {
        registry.counter("mai_key_rotations_total", "reason", reason).increment();
    }

    /**
     * Counts a key kept on OpenRouter for a deleted MaiClient with deletionPolicy Retain
     * ({@code mai_keys_retained_total}), by what became of its Secret: {@code kept}, or
     * {@code deleted_with_namespace} (nobody in the cluster holds that key any more).
     */
    public void retained(String secret) {
        registry.counter(RETAINED, "secret", secret).increment();
    }

    /** Drops the series of a client that is gone. */
    public void forget(MaiClient client) {
        clients.remove(id(client));
    }

    /** Drops the series of every client {@code gone} says is gone (by namespace and name). */
    public void forgetAll(java.util.function.BiPredicate<String, String> gone) {
        clients.values().removeIf(v -> gone.test(v.namespace, v.name));
    }

    private Values values(MaiClient client) {
        return clients.computeIfAbsent(id(client), k -> new Values(client.getMetadata().getNamespace(), client.getMetadata().getName()));
    }

    private static String id(MaiClient client) {
        return client.getMetadata().getNamespace() + "/" + client.getMetadata().getName();
    }

    private static double epochSeconds(String timestamp) {
        try {
            return timestamp == null ? Double.NaN : OffsetDateTime.parse(timestamp).toEpochSecond();
        } catch (DateTimeParseException e) {
            return Double.NaN;
        }
    }
}
