package dev.mai.operator.reconciler;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Names;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.KeyInfo;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The validation sweep's memory of each MaiClient's key between sweeps: which key it has reason to
 * believe exists (see {@link Belief}), and when it last looked up a key it had no such reason for, so
 * that the lookups left over go round fairly. Part of {@link KeySweep}; safe for its sweep thread and
 * the reconciles to use at once.
 */
final class SweepBeliefs {

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

    private final InstallationId installation;
    /** Per MaiClient, the key the operator has reason to believe exists. */
    private final Map<ResourceID, Belief> believed = new ConcurrentHashMap<>();
    /** When the sweep last looked up a MaiClient's key that it had no reason to believe exists. */
    private final Map<ResourceID, Instant> lookedUp = new ConcurrentHashMap<>();

    SweepBeliefs(InstallationId installation) {
        this.installation = installation;
    }

    /** True when the key's name marks it as this installation's key of this MaiClient, not retained. */
    boolean ours(KeyInfo key, MaiClient client) {
        return Names.keyOwner(key.name())
                .filter(o -> !o.retained() && o.installationId().equals(installation.get())
                        && o.uid().equals(client.getMetadata().getUid()))
                .isPresent();
    }

    /** A reconcile read (or made) this key at {@code at}: believed from now on, if its name marks it as this client's. */
    void read(MaiClient client, ApiKey account, KeyInfo key, Instant at) {
        if (ours(key, client)) {
            believed.put(ResourceID.fromResource(client), new Belief(key.hash(), account, at));
        }
    }

    /** A listing taken at {@code listedAt}, or a lookup, showed this client's key: believed, unless a newer belief stands. */
    void seen(ResourceID id, String hash, ApiKey account, Instant listedAt) {
        believed.merge(id, new Belief(hash, account, listedAt), (b, n) -> b.at().isAfter(listedAt) ? b : n);
    }

    /** OpenRouter answered 404 for the client's key: the belief ends, unless a reconcile's newer read stands. */
    void gone(ResourceID id, Instant listedAt) {
        believed.computeIfPresent(id, (x, b) -> b.at().isAfter(listedAt) ? b : null);
    }

    /** A status that names another key than the one believed ends the belief (a reconcile's read after {@code began} stays). */
    void statusesRead(List<MaiClient> clients, Instant began) {
        for (MaiClient client : clients) {
            String hash = client.getStatus() == null ? null : client.getStatus().getKeyHash();
            believed.computeIfPresent(ResourceID.fromResource(client),
                    (id, b) -> b.hash().equals(hash) || b.at().isAfter(began) ? b : null);
        }
    }

    /** True when the sweep has reason to believe this MaiClient's key exists on this account (see {@link Belief}). */
    boolean believed(MaiClient client, ApiKey account) {
        Belief belief = believed.get(ResourceID.fromResource(client));
        return belief != null && belief.account().equals(account) && belief.hash().equals(client.getStatus().getKeyHash());
    }

    /** The sweep looks this client's key up now, after the listing taken at {@code listedAt}. */
    void lookingUp(ResourceID id, Instant listedAt) {
        lookedUp.put(id, listedAt);
    }

    /**
     * These MaiClients in the order their missing keys get the lookups left over: round by round one
     * per namespace, each namespace's least recently looked up first, so that many MaiClients in one
     * namespace do not keep another namespace's key waiting.
     */
    List<MaiClient> fairly(List<MaiClient> clients) {
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

    /** Forgets a MaiClient that is gone. */
    void forget(ResourceID id) {
        believed.remove(id);
        lookedUp.remove(id);
    }

    /** Forgets every MaiClient that {@code gone} says is gone. */
    void forgetAll(Predicate<ResourceID> gone) {
        believed.keySet().removeIf(gone);
        lookedUp.keySet().removeIf(gone);
    }
}
