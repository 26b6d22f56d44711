package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.core.Names;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The validation sweep's orphans: keys whose name carries this installation's id, not retained, held
 * by no MaiClient's status (as its key or a pending revocation) and by no MaiClient still creating
 * its key. Each is tracked from the first listing that shows it unheld; after MAI_ORPHAN_GRACE a live
 * MaiClient's orphans go to its reconcile, and a key whose MaiClient a live list of the watched
 * namespaces does not show (by UID) is deleted here, since no reconcile is left to do it — when the
 * operator watches a list of namespaces, only if the key's name places it in one of them. Part of
 * {@link KeySweep}, used by its sweep thread only.
 */
final class SweepOrphans {

    /** Logs under the sweep's category, as every part of the sweep does. */
    private static final Logger LOG = Logger.getLogger(KeySweep.class);

    private final OpenRouterKeys keys;
    private final InstallationId installation;
    private final SweepMetrics metrics;
    private final KubernetesClient kubernetes;
    private final Duration orphanGrace;
    /** Which namespaces this operator watches: a live search for a MaiClient stays inside them (RBAC). */
    private final ControllerConfiguration<MaiClient> controller;
    /** Per account, when each orphan candidate (by hash) was first seen unheld. */
    private final Map<ApiKey, Map<String, Instant>> unheldSince = new ConcurrentHashMap<>();
    /** Keys of this installation's id kept because they name an unwatched namespace: each is logged once. */
    private final Set<String> keptOutsideWatched = ConcurrentHashMap.newKeySet();

    SweepOrphans(Sweeps deps, ControllerConfiguration<MaiClient> controller) {
        this.keys = deps.keys;
        this.installation = deps.installation;
        this.metrics = deps.metrics;
        this.kubernetes = deps.kubernetes;
        this.orphanGrace = deps.config.orphanGrace();
        this.controller = controller;
    }

    /** One sweep's view of the MaiClients, for every account it lists. */
    Round round(List<MaiClient> clients) {
        return new Round(clients);
    }

    /** What one sweep knows of the MaiClients: the hashes they hold, their UIDs, those still creating a key. */
    final class Round {
        private final Set<String> heldHashes = new HashSet<>();
        private final Set<String> liveUids = new HashSet<>();
        private final Set<String> creatingUids = new HashSet<>();
        // MaiClients on the API server, listed at most once per sweep and only if a key needs it: however
        // many keys someone names with this installation's id, they cost one list, not one request each
        private final LiveUids live = new LiveUids();

        private Round(List<MaiClient> clients) {
            for (MaiClient client : clients) {
                liveUids.add(client.getMetadata().getUid());
                MaiClientStatus status = client.getStatus();
                if (status != null) {
                    Optional.ofNullable(status.getKeyHash()).ifPresent(heldHashes::add);
                    Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()).stream()
                            .map(PendingRevocation::getHash).forEach(heldHashes::add);
                    if (status.getKeyCreationStartedAt() != null || status.getAdoption() != null && status.getAdoption().underWay()) {
                        creatingUids.add(client.getMetadata().getUid());
                    }
                }
            }
        }

        /**
         * Orphan candidates in one account's listing: this installation's keys no status holds, unheld for
         * the grace period. Those of vanished MaiClients are deleted here; those of live ones are returned
         * by their MaiClient's UID.
         */
        Map<String, Set<String>> collect(ApiKey account, List<KeyInfo> listed, Instant listedAt) {
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
    }

    /**
     * A key of this installation whose MaiClient is not in the cache: deleted once the live list of
     * MaiClients has no MaiClient of its UID. True when the key is gone.
     */
    private boolean collectVanished(ApiKey account, KeyInfo key, Names.KeyOwner owner, LiveUids live) {
        if (!controller.getInformerConfig().watchAllNamespaces() && !inWatchedNamespace(key)) {
            return false;
        }
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
     * Whether the key's name places its MaiClient in a namespace this installation watches. Only then does a
     * live list of those namespaces tell that the MaiClient is gone: a key naming another namespace belongs to
     * a MaiClient this installation cannot see, of another installation that shares its id (a second shard in
     * the same namespace without MAI_INSTALLATION_ID) or of a namespace dropped from the watched ones, and
     * revoking it would cut off a tenant whose MaiClient still stands. Such a key is kept, and said once.
     */
    private boolean inWatchedNamespace(KeyInfo key) {
        Optional<String> namespace = Names.keyNamespace(key.name());
        if (namespace.isPresent() && controller.getEffectiveNamespaces().contains(namespace.get())) {
            return true;
        }
        if (keptOutsideWatched.add(key.hash())) {
            LOG.warnf("validation sweep: key %s carries this installation's id but its name places its MaiClient in %s, which this "
                    + "installation does not watch: kept. Another installation sharing the id (give each installation in one namespace "
                    + "its own MAI_INSTALLATION_ID), or a namespace no longer watched", key.hash(),
                    namespace.map(n -> "namespace " + n).orElse("a namespace its shortened name does not show"));
        }
        return false;
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
}
