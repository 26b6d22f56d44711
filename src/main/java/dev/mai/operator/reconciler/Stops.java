package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.core.Instants;
import dev.mai.operator.ha.InstallationId;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;

/**
 * How a reconcile ends, early or not: the status its {@link StatusBuilder} made written (when it
 * changed), the condition that stopped it announced when that is news, and when to come back.
 */
@ApplicationScoped
public class Stops {

    private final StatusWrites writes;
    private final StatusEvents news;
    private final InstallationId installation;
    private final Requeue requeue;

    public Stops(StatusWrites writes, StatusEvents news, InstallationId installation, Requeue requeue) {
        this.writes = writes;
        this.news = news;
        this.installation = installation;
        this.requeue = requeue;
    }

    /** Ends with {@code built}; {@code type}: the condition whose change is news (null: none); {@code retry}: null for none. */
    UpdateControl<MaiClient> stop(MaiClient client, Context<MaiClient> context, MaiClientStatus before, StatusBuilder built,
            String type, Duration retry) {
        if (type != null) {
            news.onChange(client, before, built.status(), type);
        }
        UpdateControl<MaiClient> done = writes.commit(client, context, before, built.kstatus().status());
        return retry == null ? done : done.rescheduleAfter(retry);
    }

    /** {@link #stop} of a reconcile of the key. */
    UpdateControl<MaiClient> stop(Pass p, StatusBuilder built, String type, Duration retry) {
        return stop(p.client, p.context, p.before, built, type, retry);
    }

    /**
     * The key in status exists but a fresh read does not show it as this installation's key of this
     * MaiClient. Creating a key here would give the client a second spending ceiling on the same
     * account, writing to that key could take it from its owner: nothing is created or written, and
     * status says how to go on. What this reconcile planned (a replacement, a revocation) is not
     * carried out: status reports on what was.
     */
    Optional<UpdateControl<MaiClient>> ownedElsewhere(Pass p) {
        MaiClientStatus reported = new MaiClientStatus(p.before);
        reported.setObservedGeneration(p.generation());
        reported.setExternalUser(p.status.getExternalUser());
        StatusBuilder built = new StatusBuilder(reported, p.generation(), p.now).ownedElsewhere(installation.get());
        return Optional.of(stop(p, built, KEY_PROVISIONED, Waits.SLOW_RETRY));
    }

    /**
     * The client needs a new key but its period's budget is used up by the keys it replaces: nothing
     * is created (a key with a limit of 0 is never asked for). The reconcile comes back when the
     * period resets and creates the key then.
     */
    Optional<UpdateControl<MaiClient>> limitExhausted(Pass p) {
        StatusBuilder built = p.statusBuilder().limitExhausted(p.client.getSpec(), p.secretName);
        Duration retry = Instants.parse(p.status.getCarriedUntil()).map(at -> requeue.untilReset(at, p.now)).orElse(Waits.SLOW_RETRY);
        return Optional.of(stop(p, built, KEY_PROVISIONED, retry));
    }
}
