package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.ha.Leadership;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.OperatorException;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.ExternalResourceCachingEventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The validation sweep, as a JOSDK event source. Every
 * MAI_VALIDATION_INTERVAL (jittered by up to a tenth) it lists all keys of each management key's
 * account — all pages of {@code GET /keys?include_disabled=true}, ⌊M/100⌋+1 requests for M keys —
 * and turns what it saw into one {@link Observation} per MaiClient. An observation that differs from
 * the previous one is an event for that MaiClient; the reconcile acts on it. The sweep writes
 * nothing to Kubernetes, so it never races a reconcile, and it runs on its own thread, so new
 * MaiClients never wait behind it.
 *
 * <p>A key missing from a listing is confirmed with {@code GET /keys/{hash}} before it counts as
 * gone. At most {@link AccountSweep#checkable(int)} missing keys of one account are looked up per
 * sweep (10, or a tenth of the keys this operator knows there, whichever is more). Only a key the
 * operator has reason to believe exists says something about a listing that leaves it out: one that a
 * listing of that account showed, or a reconcile made or read, as this very MaiClient's key, while its
 * status named it (see {@link SweepBeliefs}). When more such keys are missing at once than are looked
 * up, the listing is taken for a fault: none of them is looked up or acted on this round, no orphan is
 * collected there, and a warning is logged. A hash in a status that the operator never saw as that client's key —
 * written into status by hand, say — never makes a listing suspect, and never raises the number of
 * lookups: such keys get the lookups the believed ones leave over, shared out across namespaces, the
 * least recently looked up first, and one OpenRouter already answered 404 for is not asked about
 * again. So what one tenant writes into its own statuses cannot blind the sweep for anyone else.
 *
 * <p>A key the sweep could not check — missing from a suspect listing, on an account that could not be
 * listed, whose lookup failed, or left without a lookup this round — gets an observation with a
 * {@link SweepGap}, which the reconcile shows on KeyValid; it is the same from sweep to sweep while
 * the cause lasts, so status is written when the gap opens and when it closes, not per sweep.
 *
 * <p>Orphans — keys whose name carries this installation's id, not retained, held by no MaiClient's
 * status — are collected after MAI_ORPHAN_GRACE: a live MaiClient's orphans go to its reconcile;
 * a key whose MaiClient a live list of the watched namespaces does not show (by UID) is deleted here, since there
 * is no reconcile left to do it. Other installations' keys and retained keys are never touched.
 *
 * <p>Event sources start on every replica; only the leader ({@link Leadership}) sweeps. This class is
 * the event source, its schedule and what reconciles ask of it; one account's listing is
 * {@link AccountSweep}, the memory of which keys exist {@link SweepBeliefs}, the orphans
 * {@link SweepOrphans}.
 */
public final class KeySweep extends ExternalResourceCachingEventSource<Observation, MaiClient, String> {

    /** Name of this event source. */
    public static final String NAME = "key-sweep";
    private static final Logger LOG = Logger.getLogger(KeySweep.class);

    private final ManagementKeys managementKeys;
    private final SweepMetrics metrics;
    private final ClientMetrics clientMetrics;
    private final Clock clock;
    private final Leadership leadership;
    private final Duration interval;
    private final IndexerResourceCache<MaiClient> primaries;
    private final InformerEventSource<Secret, MaiClient> keySecrets;
    /** When a reconcile last recorded a fresh read of a MaiClient's key: older listings do not overwrite it. */
    private final Map<ResourceID, Instant> freshReads = new ConcurrentHashMap<>();
    private final SweepBeliefs beliefs;
    private final SweepOrphans sweepOrphans;
    private final AccountSweep accountSweep;
    private ScheduledExecutorService scheduler;

    KeySweep(Sweeps deps, IndexerResourceCache<MaiClient> primaries, InformerEventSource<Secret, MaiClient> keySecrets,
            ControllerConfiguration<MaiClient> controller) {
        super(NAME, Observation.class, o -> "key");
        this.managementKeys = deps.managementKeys;
        this.metrics = deps.metrics;
        this.clientMetrics = deps.clientMetrics;
        this.clock = deps.clock;
        this.leadership = deps.leadership;
        this.interval = deps.config.validationInterval();
        this.primaries = primaries;
        this.keySecrets = keySecrets;
        this.beliefs = new SweepBeliefs(deps.installation);
        this.sweepOrphans = new SweepOrphans(deps, controller);
        this.accountSweep = new AccountSweep(this, deps, beliefs);
    }

    /**
     * The first sweep after a start comes this soon (or after one interval, if shorter): what a
     * restarted or restored operator's status claims is checked against OpenRouter within seconds, not
     * a whole interval later (a cloned cluster's clients report KeyOwnedElsewhere at once).
     */
    static final Duration FIRST_SWEEP = Duration.ofSeconds(30);

    @Override
    public synchronized void start() throws OperatorException {
        super.start();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mai-key-sweep");
            t.setDaemon(true);
            return t;
        });
        schedule(interval.compareTo(FIRST_SWEEP) < 0 ? interval : FIRST_SWEEP);
    }

    @Override
    public synchronized void stop() throws OperatorException {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        super.stop();
    }

    private void scheduleNext() {
        schedule(interval);
    }

    private void schedule(Duration after) {
        long millis = after.toMillis();
        long jitter = millis / 10 == 0 ? 0 : ThreadLocalRandom.current().nextLong(-millis / 10, millis / 10 + 1);
        scheduler.schedule(() -> {
            try {
                if (leadership.isLeader()) {
                    sweep();
                } else {
                    LOG.debug("validation sweep skipped: this replica is a standby");
                }
            } catch (RuntimeException e) {
                LOG.warnf("validation sweep failed: %s", e.getClass().getSimpleName() + ": " + ApiKey.scrub(e.getMessage()));
            } finally {
                if (!scheduler.isShutdown()) {
                    scheduleNext();
                }
            }
        }, Math.max(100, millis + jitter), TimeUnit.MILLISECONDS);
    }

    /**
     * The last observation of this MaiClient's key, if a sweep (or a reconcile's fresh read) made one
     * with the key's figures or found it gone: a sweep that could not check a key it never saw before
     * leaves nothing here (see {@link #gap}).
     */
    public Optional<Observation> observation(MaiClient client) {
        return cached(client).filter(o -> o.key() != null || o.gone());
    }

    /** Since when, and why, the sweep has not been able to check this key ({@code hash}), if it has not. */
    public Optional<SweepGap> gap(MaiClient client, String hash) {
        return cached(client).filter(o -> o.hash().equals(hash)).map(Observation::gap);
    }

    private Optional<Observation> cached(MaiClient client) {
        // one read of the cache: a sweep may drop the entry between two
        return Optional.ofNullable(cache.get(ResourceID.fromResource(client))).map(m -> m.get("key"));
    }

    /**
     * Records what a reconcile just read from OpenRouter with {@code account}'s management key, without
     * an event: the next reconcile works from it, a listing taken before this moment does not
     * overwrite it, and the key is believed to exist from now on (if its name marks it as this client's).
     */
    public synchronized void remember(MaiClient client, ApiKey account, KeyInfo key) {
        ResourceID id = ResourceID.fromResource(client);
        freshReads.put(id, clock.instant());
        beliefs.read(client, account, key, clock.instant());
        Set<String> orphans = observation(client).filter(o -> o.hash().equals(key.hash())).map(Observation::orphans).orElse(Set.of());
        cache.put(id, Map.of("key", new Observation(key.hash(), key, orphans)));
    }

    /** The reconcile dealt with the orphans of this observation: the next reconcile need not look again. */
    public synchronized void orphansCollected(MaiClient client) {
        cached(client).ifPresent(o -> cache.put(ResourceID.fromResource(client),
                Map.of("key", new Observation(o.hash(), o.key(), Set.of(), o.foreign(), o.gap()))));
    }

    /** Forgets a MaiClient that is gone. */
    public synchronized void forget(MaiClient client) {
        ResourceID id = ResourceID.fromResource(client);
        cache.remove(id);
        freshReads.remove(id);
        beliefs.forget(id);
    }

    /** One sweep over every account in use. */
    void sweep() {
        Timer.Sample sample = Timer.start();
        Instant began = clock.instant();
        List<MaiClient> clients = primaries.list().toList();
        beliefs.statusesRead(clients, began);
        SweepOrphans.Round round = sweepOrphans.round(clients);
        boolean allListed = true;
        for (var account : accounts(clients).entrySet()) {
            try {
                allListed &= accountSweep.sweep(account.getKey(), account.getValue(), round);
            } catch (RuntimeException e) {
                allListed = false;
                metrics.accountFailed();
                LOG.warnf("validation sweep: an account could not be listed: %s", ApiKey.scrub(e.getMessage()));
            }
        }
        // drop what belongs to MaiClients that are gone now (not merely absent when this sweep began)
        synchronized (this) {
            cache.keySet().removeIf(id -> primaries.get(id).isEmpty());
            freshReads.keySet().removeIf(id -> primaries.get(id).isEmpty());
            beliefs.forgetAll(id -> primaries.get(id).isEmpty());
        }
        // and their metrics, which cleanup drops, unless the MaiClient went without it (its finalizer removed by someone)
        clientMetrics.forgetAll((namespace, name) -> primaries.get(new ResourceID(name, namespace)).isEmpty());
        metrics.swept(sample, allListed, clock.instant());
    }

    /** The accounts to list, each with the MaiClients whose key (or key being created) lives there. */
    private Map<ApiKey, List<MaiClient>> accounts(List<MaiClient> clients) {
        Map<ApiKey, List<MaiClient>> accounts = new LinkedHashMap<>();
        // the operator-wide account is swept even with no MaiClient on it: orphans of vanished ones
        managementKeys.operatorWide().ifPresent(k -> accounts.put(k, new ArrayList<>()));
        for (MaiClient client : clients) {
            MaiClientStatus status = client.getStatus();
            if (status == null || status.getKeyHash() == null && status.getKeyCreationStartedAt() == null) {
                continue;
            }
            accountOf(client, status.getProvisioningKeySecretRef())
                    .ifPresent(k -> accounts.computeIfAbsent(k, x -> new ArrayList<>()).add(client));
        }
        return accounts;
    }

    /** True when the last check of this MaiClient's key, as its status names it now, found it gone. */
    boolean knownGone(MaiClient client) {
        return cached(client).filter(o -> o.hash().equals(client.getStatus().getKeyHash())).map(Observation::gone).orElse(false);
    }

    /**
     * This MaiClient's key could not be checked this round: its last check's figures stay, with the gap
     * — opened at the first such sweep in a row, so the observation (and status) stays the same while
     * the cause lasts.
     */
    void deliverGap(MaiClient client, String reason, Instant listedAt) {
        String hash = client.getStatus().getKeyHash();
        Optional<Observation> last = cached(client).filter(o -> o.hash().equals(hash));
        Instant since = last.map(Observation::gap).map(SweepGap::since).orElse(listedAt);
        KeyInfo key = last.map(Observation::key).orElse(null);
        deliver(client, new Observation(hash, key, Set.of(), last.map(Observation::foreign).orElse(false),
                new SweepGap(since, reason)), listedAt);
    }

    /** Hands the reconcile an observation, unless its MaiClient is going or a reconcile read the key since. */
    synchronized void deliver(MaiClient client, Observation observation, Instant listedAt) {
        ResourceID id = ResourceID.fromResource(client);
        Optional<MaiClient> now = primaries.get(id);
        if (now.isEmpty() || now.get().isMarkedForDeletion()) {
            return; // deleted meanwhile: its cleanup already dropped its metrics
        }
        Instant fresh = freshReads.get(id);
        if (fresh != null && fresh.isAfter(listedAt)) {
            return; // a reconcile read the key after this listing was taken
        }
        if (observation.key() != null && !observation.foreign() && observation.gap() == null) {
            clientMetrics.observed(client, observation.key(), clock.instant());
        }
        handleResources(id, observation);
    }

    /** The management key of the account a MaiClient's key lives on. */
    private Optional<ApiKey> accountOf(MaiClient client, ProvisioningKeyRef ref) {
        if (ref == null) {
            return managementKeys.operatorWide();
        }
        return keySecrets.get(new ResourceID(ref.getName(), client.getMetadata().getNamespace()))
                .flatMap(s -> ManagementKeys.fromSecret(s, ref));
    }
}
