package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client series at {@code /q/metrics} (SPEC 7), set from the status each reconcile computes —
 * no write needed, so exact figures live here while status only moves on significant changes:
 * {@code mai_client_ready}, {@code mai_client_usage_usd}, {@code mai_client_key_created_seconds}
 * (key age is {@code time() - mai_client_key_created_seconds}), labelled by namespace and name.
 */
@ApplicationScoped
public class ClientMetrics {

    private final MeterRegistry registry;
    private final Map<String, Values> clients = new ConcurrentHashMap<>();

    /** The current figures of one client, read by its gauges. */
    static final class Values {
        volatile double ready = Double.NaN;
        volatile double usage = Double.NaN;
        volatile double keyCreated = Double.NaN;
    }

    public ClientMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records what the status of {@code client} says. */
    public void record(MaiClient client, MaiClientStatus status) {
        Values v = clients.computeIfAbsent(id(client), k -> register(client));
        v.ready = Conditions.isTrueFor(status, Conditions.READY, client.getMetadata().getGeneration()) ? 1 : 0;
        v.usage = Optional.ofNullable(status.getUsage()).map(u -> new BigDecimal(u).doubleValue()).orElse(Double.NaN);
        v.keyCreated = epochSeconds(status.getKeyCreatedAt());
    }

    /** Drops the series of a client that is gone. */
    public void forget(MaiClient client) {
        if (clients.remove(id(client)) != null) {
            Tags tags = tags(client);
            for (String name : new String[] {"mai_client_ready", "mai_client_usage_usd", "mai_client_key_created_seconds"}) {
                Optional.ofNullable(registry.find(name).tags(tags).gauge()).ifPresent(registry::remove);
            }
        }
    }

    private Values register(MaiClient client) {
        Values v = new Values();
        Tags tags = tags(client);
        Gauge.builder("mai_client_ready", v, x -> x.ready).tags(tags)
                .description("1 when the MaiClient is Ready for its current generation, else 0").register(registry);
        Gauge.builder("mai_client_usage_usd", v, x -> x.usage).tags(tags)
                .description("Lifetime OpenRouter usage of the client's key, USD, as last seen").register(registry);
        Gauge.builder("mai_client_key_created_seconds", v, x -> x.keyCreated).tags(tags)
                .description("When OpenRouter created the client's current key, Unix seconds").register(registry);
        return v;
    }

    private static Tags tags(MaiClient client) {
        return Tags.of("namespace", client.getMetadata().getNamespace(), "name", client.getMetadata().getName());
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
