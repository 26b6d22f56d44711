package dev.mai.operator.reconciler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sweep's series at {@code /q/metrics}: {@code mai_sweep_duration_seconds} (by
 * outcome: {@code complete} when every account was listed and trusted, else {@code partial}),
 * {@code mai_sweep_last_success_seconds} (Unix time the last sweep finished; one account that cannot be
 * listed — a tenant's rejected management key — does not stop it, see
 * {@code mai_sweep_account_failures_total} and the per-client {@code mai_client_last_validated_seconds}),
 * {@code mai_sweep_suspect_listings_total} and {@code mai_orphan_keys_revoked_total}.
 */
// created at start-up, not at the first sweep's first call: a counter born at its first increment is
// scraped first at 1, and increase() (MaiSweepSuspectListings, MaiSweepAccountFailures) never sees that one
@Startup
@ApplicationScoped
public class SweepMetrics {

    private final MeterRegistry registry;
    private final AtomicLong lastSuccess = new AtomicLong();
    private final Counter suspect;
    private final Counter orphans;
    private final Counter accountFailures;

    public SweepMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("mai_sweep_last_success_seconds", lastSuccess, a -> a.get() == 0 ? Double.NaN : a.get()).strongReference(true)
                .description("When the last validation sweep finished, Unix seconds").register(registry);
        accountFailures = Counter.builder("mai_sweep_account_failures_total")
                .description("Accounts a sweep could not list (OpenRouter down, a rejected management key)").register(registry);
        suspect = Counter.builder("mai_sweep_suspect_listings_total")
                .description("Listings with too many keys missing at once, taken for faults and not acted on").register(registry);
        orphans = Counter.builder("mai_orphan_keys_revoked_total")
                .description("Keys of this installation revoked because their MaiClient no longer exists").register(registry);
    }

    void swept(Timer.Sample sample, boolean complete, Instant at) {
        sample.stop(Timer.builder("mai_sweep_duration_seconds").tag("outcome", complete ? "complete" : "partial")
                .description("Duration of validation sweeps").register(registry));
        lastSuccess.set(at.getEpochSecond());
    }

    void accountFailed() {
        accountFailures.increment();
    }

    void suspectListing() {
        suspect.increment();
    }

    void orphanRevoked() {
        orphans.increment();
    }
}
