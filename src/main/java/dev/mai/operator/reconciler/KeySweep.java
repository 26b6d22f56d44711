package dev.mai.operator.reconciler;

import dev.mai.operator.core.Names;
import dev.mai.operator.ha.InstallationId;


import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.ha.Leadership;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
 * gone. At most {@link #checkable(int)} missing keys of one account are looked up per sweep (10, or a
 * tenth of the keys this operator knows there, whichever is more). Only a key the operator has reason
 * to believe exists says something about a listing that leaves it out: one that a listing of that
 * account showed, or a reconcile made or read, as this very MaiClient's key, while its status named it
 * (see {@link Belief}). When more such keys are missing at once than are looked up, the listing is
 * taken for a fault: none of them is looked up or acted on this round, no orphan is collected there,
 * and a warning is logged. A hash in a status that the operator never saw as that client's key —
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
 * <p>Event sources start on every replica; only the leader ({@link Leadership}) sweeps.
 */
public final class KeySweep extends ExternalResourceCachingEventSource<Observation, MaiClient, String> {

    /** Name of this event source. */
    public static final String NAME = "key-sweep";
    private static final Logger LOG = Logger.getLogger(KeySweep.class);

    private final OpenRouterKeys keys;
    private final ManagementKeys managementKeys;
    private final InstallationId installation;
    private final SweepMetrics metrics;
    private final ClientMetrics clientMetrics;
    private final KubernetesClient kubernetes;
    private final Clock clock;
    private final Leadership leadership;
    private final Duration interval;
    private final Duration orphanGrace;
    private final IndexerResourceCache<MaiClient> primaries;
    private final InformerEventSource<Secret, MaiClient> keySecrets;
    /** Which namespaces this operator watches: a live search for a MaiClient stays inside them (RBAC). */
    private final ControllerConfiguration<MaiClient> controller;
    /** Per account, when each orphan candidate (by hash) was first seen unheld. */
    private final Map<ApiKey, Map<String, Instant>> unheldSince = new ConcurrentHashMap<>();
    /** When a reconcile last recorded a fresh read of a MaiClient's key: older listings do not overwrite it. */
    private final Map<ResourceID, Instant> freshReads = new ConcurrentHashMap<>();
    /** Per MaiClient, the key the operator has reason to believe exists (see {@link Belief}). */
    private final Map<ResourceID, Belief> believed = new ConcurrentHashMap<>();
    /** When the sweep last looked up a MaiClient's key that it had no reason to believe exists. */
    private final Map<ResourceID, Instant> lookedUp = new ConcurrentHashMap<>();
    private ScheduledExecutorService scheduler;

    KeySweep(Sweeps deps, IndexerResourceCache<MaiClient> primaries, InformerEventSource<Secret, MaiClient> keySecrets,
            ControllerConfiguration<MaiClient> controller) {
        super(NAME, Observation.class, o -> "key");
        this.keys = deps.keys;
        this.managementKeys = deps.managementKeys;
        this.installation = deps.installation;
        this.metrics = deps.metrics;
        this.clientMetrics = deps.clientMetrics;
        this.kubernetes = deps.kubernetes;
        this.clock = deps.clock;
        this.leadership = deps.leadership;
        this.interval = deps.config.validationInterval();
        this.orphanGrace = deps.config.orphanGrace();
        this.primaries = primaries;
        this.keySecrets = keySecrets;
        this.controller = controller;
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
     * Why the sweep believes a MaiClient's key exists on an account: at {@code at}, a listing of that
     * account showed it, or a lookup or a reconcile read (or made) it, as this installation's key of
     * this very MaiClient. Status alone is no such reason: whoever may write a MaiClient's status can
     * put any hash there. A belief ends when the MaiClient's status names another key, when OpenRouter
     * answers 404 for it, and with the MaiClient; a key the operator replaces is believed no longer
     * since the reconcile that replaced it recorded the new one.
     */
    private record Belief(String hash, ApiKey account, Instant at) {
    }

    /**
     * Records what a reconcile just read from OpenRouter with {@code account}'s management key, without
     * an event: the next reconcile works from it, a listing taken before this moment does not
     * overwrite it, and the key is believed to exist from now on (if its name marks it as this client's).
     */
    public synchronized void remember(MaiClient client, ApiKey account, KeyInfo key) {
        ResourceID id = ResourceID.fromResource(client);
        freshReads.put(id, clock.instant());
        if (ours(key, client)) {
            believed.put(id, new Belief(key.hash(), account, clock.instant()));
        }
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
        believed.remove(id);
        lookedUp.remove(id);
    }

    /** One sweep over every account in use. */
    void sweep() {
        Timer.Sample sample = Timer.start();
        Instant began = clock.instant();
        List<MaiClient> clients = primaries.list().toList();
        // a status that names another key than the one believed ends the belief (a reconcile's newer read stays)
        for (MaiClient client : clients) {
            String hash = client.getStatus() == null ? null : client.getStatus().getKeyHash();
            believed.computeIfPresent(ResourceID.fromResource(client),
                    (id, b) -> b.hash().equals(hash) || b.at().isAfter(began) ? b : null);
        }
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
        Set<String> heldHashes = new HashSet<>();
        Set<String> liveUids = new HashSet<>();
        Set<String> creatingUids = new HashSet<>();
        for (MaiClient client : clients) {
            liveUids.add(client.getMetadata().getUid());
            MaiClientStatus status = client.getStatus();
            if (status != null) {
                Optional.ofNullable(status.getKeyHash()).ifPresent(heldHashes::add);
                Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()).stream()
                        .map(PendingRevocation::getHash).forEach(heldHashes::add);
                if (status.getKeyCreationStartedAt() != null) {
                    creatingUids.add(client.getMetadata().getUid());
                }
            }
        }
        boolean allListed = true;
        // MaiClients on the API server, listed at most once per sweep and only if a key needs it: however
        // many keys someone names with this installation's id, they cost one list, not one request each
        LiveUids live = new LiveUids();
        for (var account : accounts.entrySet()) {
            try {
                allListed &= sweepAccount(account.getKey(), account.getValue(), heldHashes, liveUids, creatingUids, live);
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
            believed.keySet().removeIf(id -> primaries.get(id).isEmpty());
            lookedUp.keySet().removeIf(id -> primaries.get(id).isEmpty());
        }
        metrics.swept(sample, allListed, clock.instant());
    }

    /** Missing keys one sweep looks up on an account without taking its listing for a fault, at least. */
    static final int FEW_MISSING = 10;

    /**
     * How many keys missing from one listing of an account are each looked up with {@code GET
     * /keys/{hash}}: {@value #FEW_MISSING}, or a tenth of the keys this operator knows there (listed
     * as, or believed to be, its clients' keys), whichever is more. More believed keys missing at once
     * is a mass disappearance, taken for a listing fault. Each lookup is a request of its own, so this
     * bounds what a faulty listing — or a status full of made-up hashes — costs per sweep; a key still
     * counts as gone only on a 404, and its reconcile confirms that twice before replacing it.
     */
    static int checkable(int tracked) {
        return Math.max(FEW_MISSING, tracked / 10);
    }

    /** The gap reason of a listing taken for a fault. */
    static final String SUSPECT = "OpenRouter's listing of this key's account left out more keys at once than the sweep "
            + "looks up one by one, and was taken for a listing fault";

    /** The gap reason of a missing key whose lookup waits for a later sweep. */
    static final String NO_TURN = "OpenRouter's listing of this key's account left it out, and the lookups the sweep "
            + "makes per round went to other missing keys";

    /** Lists one account and delivers its observations; false when the listing failed or was not trusted whole. */
    private boolean sweepAccount(ApiKey account, List<MaiClient> clients, Set<String> heldHashes, Set<String> liveUids,
            Set<String> creatingUids, LiveUids live) {
        Instant listedAt = clock.instant();
        // a status hash that is not an OpenRouter hash never goes into a request (its reconcile reports it)
        List<MaiClient> tracked = clients.stream().filter(c -> KeyInfo.isHash(c.getStatus().getKeyHash())).toList();
        List<KeyInfo> listed;
        try {
            listed = keys.list(account);
        } catch (RuntimeException e) {
            metrics.accountFailed();
            LOG.warnf("validation sweep: an account could not be listed: %s", ApiKey.scrub(e.getMessage()));
            String why = failure("listing this key's OpenRouter account", e);
            tracked.forEach(c -> deliverGap(c, why, listedAt));
            return false;
        }
        Map<String, KeyInfo> byHash = new HashMap<>();
        listed.forEach(k -> byHash.put(k.hash(), k));

        // only keys believed to exist make a listing that leaves them out suspect; a hash that is merely
        // written in a status (by anyone who may write status) says nothing about the listing
        List<MaiClient> absent = tracked.stream().filter(c -> !byHash.containsKey(c.getStatus().getKeyHash())).toList();
        List<MaiClient> expected = absent.stream().filter(c -> believed(c, account)).toList();
        long known = tracked.stream().filter(c -> Optional.ofNullable(byHash.get(c.getStatus().getKeyHash()))
                .map(k -> ours(k, c)).orElse(false)).count() + expected.size();
        int checkable = checkable((int) known);
        boolean suspect = expected.size() > checkable;
        Map<String, Set<String>> orphansByUid = Map.of();
        if (suspect) {
            metrics.suspectListing();
            LOG.warnf("validation sweep: %d of the %d keys this operator knows on one OpenRouter account are missing from "
                    + "its listing at once (more than the %d it looks up one by one); a listing fault is likelier than a mass "
                    + "revocation, so they are not acted on this round and their MaiClients' KeyValid says so",
                    expected.size(), known, checkable);
        } else {
            orphansByUid = orphans(account, listed, listedAt, heldHashes, liveUids, creatingUids, live);
        }
        // what is looked up this round: every believed key missing (no more than checkable, or the listing is
        // suspect), then, with the lookups left, the others — fairly across namespaces; one OpenRouter already
        // answered 404 for is not asked about again
        Set<ResourceID> lookups = new HashSet<>();
        if (!suspect) {
            expected.forEach(c -> lookups.add(ResourceID.fromResource(c)));
            List<MaiClient> unbelieved = absent.stream().filter(c -> !believed(c, account) && !knownGone(c)).toList();
            fairly(unbelieved).stream().limit(Math.max(0, checkable - expected.size()))
                    .forEach(c -> lookups.add(ResourceID.fromResource(c)));
        }

        String lookupFailed = null;
        for (MaiClient client : tracked) {
            String hash = client.getStatus().getKeyHash();
            ResourceID id = ResourceID.fromResource(client);
            KeyInfo key = byHash.get(hash);
            if (key == null) {
                if (suspect) {
                    deliverGap(client, SUSPECT, listedAt);
                    continue;
                }
                if (knownGone(client) && !believed(client, account)) {
                    // OpenRouter answered 404 for this very hash before, and the listing agrees: no need to ask again
                    deliver(client, new Observation(hash, null,
                            Set.copyOf(orphansByUid.getOrDefault(client.getMetadata().getUid(), Set.of())), false), listedAt);
                    continue;
                }
                if (lookupFailed != null) {
                    deliverGap(client, lookupFailed, listedAt);
                    continue;
                }
                if (!lookups.contains(id)) {
                    deliverGap(client, NO_TURN, listedAt);
                    continue;
                }
                try {
                    // absent from the list: gone only if OpenRouter says so for this very key
                    lookedUp.put(id, listedAt);
                    key = keys.get(account, hash).orElse(null);
                } catch (RuntimeException e) {
                    // the others missing are not looked up this round either (OpenRouter is struggling)
                    LOG.warnf("validation sweep: a key missing from its account's listing could not be looked up: %s",
                            ApiKey.scrub(e.getMessage()));
                    lookupFailed = failure("looking this key up, as its account's listing left it out", e);
                    deliverGap(client, lookupFailed, listedAt);
                    continue;
                }
                if (key == null) {
                    believed.computeIfPresent(id, (x, b) -> b.at().isAfter(listedAt) ? b : null);
                }
            }
            boolean foreign = key != null && !ours(key, client);
            if (key != null && !foreign) {
                Belief belief = new Belief(hash, account, listedAt);
                believed.merge(id, belief, (b, n) -> b.at().isAfter(listedAt) ? b : n);
            }
            deliver(client, new Observation(hash, key,
                    Set.copyOf(orphansByUid.getOrDefault(client.getMetadata().getUid(), Set.of())), foreign), listedAt);
        }
        return !suspect && lookupFailed == null;
    }

    /** True when the sweep has reason to believe this MaiClient's key exists on this account (see {@link Belief}). */
    private boolean believed(MaiClient client, ApiKey account) {
        Belief belief = believed.get(ResourceID.fromResource(client));
        return belief != null && belief.account().equals(account) && belief.hash().equals(client.getStatus().getKeyHash());
    }

    /** True when the last check of this MaiClient's key, as its status names it now, found it gone. */
    private boolean knownGone(MaiClient client) {
        return cached(client).filter(o -> o.hash().equals(client.getStatus().getKeyHash())).map(Observation::gone).orElse(false);
    }

    /**
     * These MaiClients in the order their missing keys get the lookups left over: round by round one
     * per namespace, each namespace's least recently looked up first, so that many MaiClients in one
     * namespace do not keep another namespace's key waiting.
     */
    private List<MaiClient> fairly(List<MaiClient> clients) {
        Comparator<MaiClient> lastLookedUp = Comparator.comparing(
                (MaiClient c) -> lookedUp.getOrDefault(ResourceID.fromResource(c), Instant.MIN));
        Map<String, List<MaiClient>> byNamespace = new TreeMap<>();
        clients.forEach(c -> byNamespace.computeIfAbsent(c.getMetadata().getNamespace(), n -> new ArrayList<>()).add(c));
        byNamespace.values().forEach(l -> l.sort(lastLookedUp));
        List<MaiClient> order = new ArrayList<>();
        for (int round = 0; order.size() < clients.size(); round++) {
            int r = round;
            byNamespace.values().stream().filter(l -> l.size() > r).map(l -> l.get(r)).sorted(lastLookedUp).forEach(order::add);
        }
        return order;
    }

    /** Stable words for a failure (no detail that changes from one try to the next: the gap would change each sweep). */
    private static String failure(String what, RuntimeException e) {
        if (e instanceof OpenRouterException o) {
            return what + " failed (" + (o.status() == OpenRouterException.NO_RESPONSE ? "no response" : "HTTP " + o.status())
                    + ")";
        }
        return what + " failed (" + e.getClass().getSimpleName() + ")";
    }

    /**
     * This MaiClient's key could not be checked this round: its last check's figures stay, with the gap
     * — opened at the first such sweep in a row, so the observation (and status) stays the same while
     * the cause lasts.
     */
    private void deliverGap(MaiClient client, String reason, Instant listedAt) {
        String hash = client.getStatus().getKeyHash();
        Optional<Observation> last = cached(client).filter(o -> o.hash().equals(hash));
        Instant since = last.map(Observation::gap).map(SweepGap::since).orElse(listedAt);
        KeyInfo key = last.map(Observation::key).orElse(null);
        deliver(client, new Observation(hash, key, Set.of(), last.map(Observation::foreign).orElse(false),
                new SweepGap(since, reason)), listedAt);
    }

    /**
     * Orphan candidates: this installation's keys no status holds, unheld for the grace period. Those of
     * vanished MaiClients are deleted here; those of live ones are returned by their MaiClient's UID.
     */
    private Map<String, Set<String>> orphans(ApiKey account, List<KeyInfo> listed, Instant listedAt, Set<String> heldHashes,
            Set<String> liveUids, Set<String> creatingUids, LiveUids live) {
        Map<String, Set<String>> orphansByUid = new HashMap<>();
        Map<String, Instant> before = unheldSince.getOrDefault(account, Map.of());
        Map<String, Instant> unheld = new HashMap<>();
        for (KeyInfo key : listed) {
            Optional<Names.KeyOwner> owner = Names.keyOwner(key.name())
                    .filter(o -> !o.retained() && o.installationId().equals(installation.get()));
            if (owner.isEmpty() || heldHashes.contains(key.hash()) || creatingUids.contains(owner.get().uid())) {
                continue;
            }
            Instant since = before.getOrDefault(key.hash(), listedAt);
            if (Duration.between(since, listedAt).compareTo(orphanGrace) < 0) {
                unheld.put(key.hash(), since);
            } else if (liveUids.contains(owner.get().uid())) {
                unheld.put(key.hash(), since);
                orphansByUid.computeIfAbsent(owner.get().uid(), u -> new HashSet<>()).add(key.hash());
            } else if (!collectVanished(account, key, owner.get(), live)) {
                unheld.put(key.hash(), since);
            }
        }
        unheldSince.put(account, unheld);
        return orphansByUid;
    }

    private synchronized void deliver(MaiClient client, Observation observation, Instant listedAt) {
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

    /**
     * A key of this installation whose MaiClient is not in the cache: deleted once the live list of
     * MaiClients has no MaiClient of its UID. True when the key is gone.
     */
    private boolean collectVanished(ApiKey account, KeyInfo key, Names.KeyOwner owner, LiveUids live) {
        try {
            if (live.get().contains(owner.uid())) {
                return false; // the cache is behind; its reconcile will see the key
            }
            if (keys.delete(account, key.hash())) {
                metrics.orphanRevoked();
                LOG.infof("revoked orphan OpenRouter key %s (%s): its MaiClient %s no longer exists", key.hash(), key.label(),
                        owner.uid());
            }
            return true;
        } catch (KubernetesClientException e) {
            LOG.warnf("validation sweep: cannot tell whether MaiClient %s still exists (HTTP %d); its key %s is kept for now",
                    owner.uid(), e.getCode(), key.hash());
            return false;
        } catch (OpenRouterException e) {
            LOG.warnf("validation sweep: orphan key %s not deleted yet: %s", key.hash(), e.getMessage());
            return false;
        }
    }

    /**
     * The UIDs of the MaiClients the API server has in the watched namespaces, read live once when
     * first asked (with per-namespace Roles a cluster-wide list is forbidden, so each namespace is
     * listed then); a failed read is asked again next time.
     */
    private final class LiveUids {
        private Set<String> uids;

        Set<String> get() {
            if (uids == null) {
                List<MaiClient> live = controller.getInformerConfig().watchAllNamespaces()
                        ? kubernetes.resources(MaiClient.class).inAnyNamespace().list().getItems()
                        : controller.getEffectiveNamespaces().stream()
                                .flatMap(ns -> kubernetes.resources(MaiClient.class).inNamespace(ns).list().getItems().stream())
                                .toList();
                Set<String> found = new HashSet<>();
                live.forEach(c -> found.add(c.getMetadata().getUid()));
                uids = found;
            }
            return uids;
        }
    }

    /** True when the key's name marks it as this installation's key of this MaiClient, not retained. */
    private boolean ours(KeyInfo key, MaiClient client) {
        return Names.keyOwner(key.name())
                .filter(o -> !o.retained() && o.installationId().equals(installation.get())
                        && o.uid().equals(client.getMetadata().getUid()))
                .isPresent();
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
