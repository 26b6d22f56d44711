package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.OpenRouterKeys;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * One account's part of a validation sweep: lists all its keys, decides whether the listing is
 * trusted and which keys it leaves out are looked up one by one, and hands {@link KeySweep} one
 * observation (or gap) per MaiClient whose key lives there. Used by the sweep thread only.
 */
final class AccountSweep {

    /** Logs under the sweep's category, as every part of the sweep does. */
    private static final Logger LOG = Logger.getLogger(KeySweep.class);

    /** Missing keys one sweep looks up on an account without taking its listing for a fault, at least. */
    static final int FEW_MISSING = 10;

    /** The gap reason of a listing taken for a fault. */
    static final String SUSPECT = "OpenRouter's listing of this key's account left out more keys at once than the sweep "
            + "looks up one by one, and was taken for a listing fault";

    /** The gap reason of a missing key whose lookup waits for a later sweep. */
    static final String NO_TURN = "OpenRouter's listing of this key's account left it out, and the lookups the sweep "
            + "makes per round went to other missing keys";

    private final KeySweep sweep;
    private final OpenRouterKeys keys;
    private final SweepMetrics metrics;
    private final Clock clock;
    private final SweepBeliefs beliefs;

    /** @param sweep where the observations go */
    AccountSweep(KeySweep sweep, Sweeps deps, SweepBeliefs beliefs) {
        this.sweep = sweep;
        this.keys = deps.keys;
        this.metrics = deps.metrics;
        this.clock = deps.clock;
        this.beliefs = beliefs;
    }

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

    /** Lists one account and delivers its observations; false when the listing failed or was not trusted whole. */
    boolean sweep(ApiKey account, List<MaiClient> clients, SweepOrphans.Round orphans) {
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
            tracked.forEach(c -> sweep.deliverGap(c, why, listedAt));
            return false;
        }
        Listing listing = new Listing(account, listedAt, listed);
        listing.judge(tracked, orphans);
        tracked.forEach(listing::observe);
        return !listing.suspect && listing.lookupFailed == null;
    }

    /** Stable words for a failure (no detail that changes from one try to the next: the gap would change each sweep). */
    private static String failure(String what, RuntimeException e) {
        if (e instanceof OpenRouterException o) {
            return what + " failed (" + (o.status() == OpenRouterException.NO_RESPONSE ? "no response" : "HTTP " + o.status())
                    + ")";
        }
        return what + " failed (" + e.getClass().getSimpleName() + ")";
    }

    /** One listing of an account, and what this sweep makes of it. */
    private final class Listing {
        private final ApiKey account;
        private final Instant listedAt;
        private final List<KeyInfo> listed;
        private final Map<String, KeyInfo> byHash = new HashMap<>();
        /** Taken for a fault: nothing it leaves out is looked up or acted on this round. */
        private boolean suspect;
        private Map<String, Set<String>> orphansByUid = Map.of();
        /** The MaiClients whose missing keys are looked up this round. */
        private final Set<ResourceID> lookups = new HashSet<>();
        /** Why the lookups stopped this round, once one failed. */
        private String lookupFailed;

        Listing(ApiKey account, Instant listedAt, List<KeyInfo> listed) {
            this.account = account;
            this.listedAt = listedAt;
            this.listed = listed;
            listed.forEach(k -> byHash.put(k.hash(), k));
        }

        /** Whether the listing is trusted; if so, its orphans are collected and the missing keys to look up chosen. */
        void judge(List<MaiClient> tracked, SweepOrphans.Round orphans) {
            // only keys believed to exist make a listing that leaves them out suspect; a hash that is merely
            // written in a status (by anyone who may write status) says nothing about the listing
            List<MaiClient> absent = tracked.stream().filter(c -> !byHash.containsKey(c.getStatus().getKeyHash())).toList();
            List<MaiClient> expected = absent.stream().filter(c -> beliefs.believed(c, account)).toList();
            long known = tracked.stream().filter(c -> Optional.ofNullable(byHash.get(c.getStatus().getKeyHash()))
                    .map(k -> beliefs.ours(k, c)).orElse(false)).count() + expected.size();
            int checkable = checkable((int) known);
            suspect = expected.size() > checkable;
            if (suspect) {
                metrics.suspectListing();
                LOG.warnf("validation sweep: %d of the %d keys this operator knows on one OpenRouter account are missing from "
                        + "its listing at once (more than the %d it looks up one by one); a listing fault is likelier than a mass "
                        + "revocation, so they are not acted on this round and their MaiClients' KeyValid says so",
                        expected.size(), known, checkable);
                return;
            }
            orphansByUid = orphans.collect(account, listed, listedAt);
            // what is looked up this round: every believed key missing (no more than checkable, or the listing is
            // suspect), then, with the lookups left, the others — fairly across namespaces; one OpenRouter already
            // answered 404 for is not asked about again
            expected.forEach(c -> lookups.add(ResourceID.fromResource(c)));
            List<MaiClient> unbelieved = absent.stream().filter(c -> !beliefs.believed(c, account) && !sweep.knownGone(c)).toList();
            beliefs.fairly(unbelieved).stream().limit(Math.max(0, checkable - expected.size()))
                    .forEach(c -> lookups.add(ResourceID.fromResource(c)));
        }

        /** Delivers what this listing (and, for a key it leaves out, a lookup) says of one MaiClient's key. */
        void observe(MaiClient client) {
            KeyInfo key = byHash.get(client.getStatus().getKeyHash());
            if (key == null) {
                observeMissing(client);
            } else {
                deliverChecked(client, key);
            }
        }

        /** A key the listing leaves out: a gap, the last 404 again, or a lookup if it has its turn. */
        private void observeMissing(MaiClient client) {
            String hash = client.getStatus().getKeyHash();
            ResourceID id = ResourceID.fromResource(client);
            if (suspect) {
                sweep.deliverGap(client, SUSPECT, listedAt);
                return;
            }
            if (sweep.knownGone(client) && !beliefs.believed(client, account)) {
                // OpenRouter answered 404 for this very hash before, and the listing agrees: no need to ask again
                sweep.deliver(client, new Observation(hash, null, orphansOf(client), false), listedAt);
                return;
            }
            if (lookupFailed != null) {
                sweep.deliverGap(client, lookupFailed, listedAt);
                return;
            }
            if (!lookups.contains(id)) {
                sweep.deliverGap(client, NO_TURN, listedAt);
                return;
            }
            KeyInfo key;
            try {
                // absent from the list: gone only if OpenRouter says so for this very key
                beliefs.lookingUp(id, listedAt);
                key = keys.get(account, hash).orElse(null);
            } catch (RuntimeException e) {
                // the others missing are not looked up this round either (OpenRouter is struggling)
                LOG.warnf("validation sweep: a key missing from its account's listing could not be looked up: %s",
                        ApiKey.scrub(e.getMessage()));
                lookupFailed = failure("looking this key up, as its account's listing left it out", e);
                sweep.deliverGap(client, lookupFailed, listedAt);
                return;
            }
            if (key == null) {
                beliefs.gone(id, listedAt);
            }
            deliverChecked(client, key);
        }

        /** The key as listed or looked up ({@code key} null: OpenRouter answered 404), with the client's orphans. */
        private void deliverChecked(MaiClient client, KeyInfo key) {
            String hash = client.getStatus().getKeyHash();
            boolean foreign = key != null && !beliefs.ours(key, client);
            if (key != null && !foreign) {
                beliefs.seen(ResourceID.fromResource(client), hash, account, listedAt);
            }
            sweep.deliver(client, new Observation(hash, key, orphansOf(client), foreign), listedAt);
        }

        private Set<String> orphansOf(MaiClient client) {
            return Set.copyOf(orphansByUid.getOrDefault(client.getMetadata().getUid(), Set.of()));
        }
    }
}
