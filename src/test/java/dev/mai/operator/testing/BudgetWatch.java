package dev.mai.operator.testing;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.core.Money;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * Tells a simulator's {@link ClientBudgets} what every MaiClient on an API server asks for, generation
 * by generation, and which generation the operator last reported: an informer of the tests' own
 * (not the operator's), plus a fresh listing whenever the simulator is about to hold a request
 * against a client — the informer may not have seen the edit the operator acted on yet.
 */
public final class BudgetWatch implements AutoCloseable {

    private final KubernetesClient client;
    private final ClientBudgets budgets;
    private final SharedIndexInformer<MaiClient> informer;

    private BudgetWatch(KubernetesClient client, ClientBudgets budgets) {
        this.client = client;
        this.budgets = budgets;
        budgets.refresher(this::refresh);
        informer = client.resources(MaiClient.class).inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(MaiClient mc) {
                feed(mc);
            }

            @Override
            public void onUpdate(MaiClient before, MaiClient mc) {
                feed(mc);
            }

            @Override
            public void onDelete(MaiClient mc, boolean unknownFinalState) {
                // the last figures stay: the keys of a deleted client are still judged against them
            }
        });
    }

    /** Starts feeding {@code simulator}'s budgets from the MaiClients {@code client} sees. */
    public static BudgetWatch start(KubernetesClient client, OpenRouterSimulator simulator) {
        return new BudgetWatch(client, simulator.budgets());
    }

    private void refresh() {
        client.resources(MaiClient.class).inAnyNamespace().list().getItems().forEach(this::feed);
    }

    private void feed(MaiClient mc) {
        String uid = mc.getMetadata().getUid();
        if (uid == null || mc.getMetadata().getGeneration() == null) {
            return;
        }
        String reference = mc.getMetadata().getNamespace() + "/" + mc.getMetadata().getName();
        limit(mc).ifPresent(limit -> budgets.generation(uid, reference, mc.getMetadata().getGeneration(), limit));
        if (mc.getStatus() != null && mc.getStatus().getObservedGeneration() != null) {
            budgets.observed(uid, mc.getStatus().getObservedGeneration());
        }
    }

    /** The spec's limit (inner empty: unlimited); empty for a spec without a valid one, which is then not judged. */
    private static Optional<Optional<BigDecimal>> limit(MaiClient mc) {
        try {
            return Optional.of(Money.limit(mc.getSpec().getSpendingLimit()));
        } catch (RuntimeException invalid) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        informer.close();
        budgets.refresher(() -> { });
    }
}
