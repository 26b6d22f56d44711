package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.app.AppConditions;
import dev.mai.operator.app.AppData;
import dev.mai.operator.app.AppDeployment;
import dev.mai.operator.app.AppService;
import dev.mai.operator.app.RolloutTargets;
import dev.mai.operator.config.FrontEnd;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.RequestGate;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import io.quarkus.arc.lookup.LookupUnlessProperty;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The MaiClient controller: what it watches, and where each of JOSDK's calls goes. A reconcile is
 * {@link ClientReconcile} (validate, management key, then {@link KeyFlow}: the key's lifecycle step by
 * step, decided in {@link KeyPlan}, reported by {@link StatusBuilder}); a deletion is {@link KeyRelease}.
 *
 * <p>Exactly one key per MaiClient: before {@code POST /keys} the intent is written to status with
 * the resourceVersion this reconcile read (a stale or deposed operator gets a conflict before it can
 * create); right after it the Secret (key and hash), then the status. A reconcile that finds the
 * intent still set lists OpenRouter's keys and deletes this MaiClient's keys that no Secret holds.
 *
 * <p>Transient OpenRouter failures are thrown and retried with backoff (no attempt limit, capped at
 * 5 minutes, so an outage of any length heals by itself); failures that need a person end in status
 * and are retried slowly. Steady state makes no writes: OpenRouter is called only when the spec
 * changed since the key was last brought in line, and Secret and status are written only when they
 * differ.
 */
@ControllerConfiguration(name = MaiClientReconciler.NAME, finalizerName = MaiClient.FINALIZER,
        generationAwareEventProcessing = false, informer = @Informer(onUpdateFilter = MaiClientUpdates.class))
@Workflow(explicitInvocation = true, dependents = {
    @Dependent(name = AppDeployment.NAME, type = AppDeployment.class, reconcilePrecondition = AppConditions.AppRequested.class),
    @Dependent(name = AppService.NAME, type = AppService.class, reconcilePrecondition = AppConditions.AppRequested.class),
    @Dependent(name = AppData.NAME, type = AppData.class, reconcilePrecondition = AppConditions.StorageRequested.class)})
@GradualRetry(maxAttempts = -1, initialInterval = 2_000, intervalMultiplier = 2.0, maxInterval = 300_000)
@LookupUnlessProperty(name = FrontEnd.ENV_COMMAND_PROPERTY, stringValue = "true", lookupIfMissing = true)
public class MaiClientReconciler implements Reconciler<MaiClient>, Cleaner<MaiClient> {

    public static final String NAME = "maiclient";

    private static final Logger LOG = Logger.getLogger(MaiClientReconciler.class);

    private final ClientReconcile provisioning;
    private final KeyRelease release;
    private final Sweeps sweeps;
    private final MaiConfig config;
    private final Clock clock;
    /** The validation sweep of the running controller (set when JOSDK asks for the event sources). */
    private volatile KeySweep sweep;

    public MaiClientReconciler(ClientReconcile provisioning, KeyRelease release, Sweeps sweeps, MaiConfig config, Clock clock) {
        this.provisioning = provisioning;
        this.release = release;
        this.sweeps = sweeps;
        this.config = config;
        this.clock = clock;
    }

    /**
     * Informers, each filtered by label so the operator never caches every Secret of the cluster: the
     * Secrets it writes (by managed-by label, mapped to their MaiClient by label), management-key
     * Secrets (labelled {@code mai.dev/provisioning-key: "true"}, mapped to the MaiClients naming
     * them, so a fixed key is used at once), the rollout targets, the namespaces that carry a spending cap
     * (label mai.dev/max-spending-limit; a changed cap re-checks their MaiClients) and, with MAI_DEFAULT_KEY_NAMESPACES,
     * the namespaces it selects (a label change there re-checks the namespace's MaiClients); and the
     * validation sweep.
     */
    @Override
    public List<EventSource<?, MaiClient>> prepareEventSources(EventSourceContext<MaiClient> context) {
        context.getPrimaryCache().addIndexer(ExternalUsers.INDEX, ExternalUsers::indexKeys);
        List<EventSource<?, MaiClient>> sources = new ArrayList<>();
        sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, MaiClient.class)
                .withName(ClientSecrets.INFORMER)
                .withLabelSelector(Labels.MANAGED_SELECTOR)
                .withSecondaryToPrimaryMapper(secret -> {
                    String owner = secret.getMetadata().getLabels() == null ? null
                            : secret.getMetadata().getLabels().get(Labels.CLIENT);
                    return owner == null ? Set.of() : Set.of(new ResourceID(owner, secret.getMetadata().getNamespace()));
                })
                .build(), context));
        InformerEventSource<Secret, MaiClient> keySecrets = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Secret.class, MaiClient.class)
                .withName(ManagementKeys.KEY_SECRETS)
                .withLabelSelector(Labels.PROVISIONING_KEY_SELECTOR)
                .withSecondaryToPrimaryMapper(secret -> context.getPrimaryCache().list(secret.getMetadata().getNamespace())
                        .filter(mc -> mc.getSpec() != null && mc.getSpec().getProvisioningKeySecretRef() != null
                                && secret.getMetadata().getName().equals(mc.getSpec().getProvisioningKeySecretRef().getName()))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
        sources.add(keySecrets);
        sweep = sweeps.create(context.getPrimaryCache(), keySecrets, context.getControllerConfiguration());
        sources.add(sweep);
        sources.addAll(RolloutTargets.eventSources(context));
        // the namespaces with a spending cap: a cap set, lowered or removed re-checks the namespace's MaiClients
        sources.add(namespaces(context, ClientReconcile.CAPPED_NAMESPACES, Labels.SPENDING_CAP));
        config.defaultKeyNamespaces().ifPresent(selector -> sources.add(namespaces(context, ManagementKeys.DEFAULT_KEY_NAMESPACES,
                selector)));
        return sources;
    }

    /** An informer on the Namespaces {@code selector} selects; a change of one re-checks the MaiClients in it. */
    private static InformerEventSource<Namespace, MaiClient> namespaces(EventSourceContext<MaiClient> context, String name,
            String selector) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(Namespace.class, MaiClient.class)
                .withName(name)
                .withWatchAllNamespaces()
                .withLabelSelector(selector)
                .withSecondaryToPrimaryMapper(ns -> context.getPrimaryCache().list(ns.getMetadata().getName())
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build(), context);
    }

    /** Every OpenRouter request of a reconcile takes its namespace's turn: a tenant cannot crowd the others out. */
    @Override
    public UpdateControl<MaiClient> reconcile(MaiClient client, Context<MaiClient> context) {
        try (var tenant = RequestGate.onBehalfOf(client.getMetadata().getNamespace())) {
            return provisioning.reconcile(client, context, Optional.ofNullable(sweep));
        }
    }

    /** Transient OpenRouter failures: report them (RateLimited, OpenRouterUnavailable) while JOSDK backs off and retries. */
    @Override
    public ErrorStatusUpdateControl<MaiClient> updateErrorStatus(MaiClient client, Context<MaiClient> context, Exception e) {
        // JOSDK's metrics wrap what the reconcile threw: look through the causes
        OpenRouterException failure = null;
        for (Throwable t = e; t != null && failure == null; t = t.getCause()) {
            if (t instanceof OpenRouterException o) {
                failure = o;
            }
        }
        if (failure == null) {
            return ErrorStatusUpdateControl.defaultErrorProcessing();
        }
        Instant now = clock.instant();
        Long generation = client.getMetadata().getGeneration();
        // the newest known status: this reconcile may have written the intent before failing
        MaiClient latest = context.getPrimaryCache().get(ResourceID.fromResource(client)).orElse(client);
        MaiClientStatus before = latest.getStatus() == null ? new MaiClientStatus() : latest.getStatus();
        MaiClientStatus status = new MaiClientStatus(before);
        status.setObservedGeneration(generation);
        new StatusBuilder(status, generation, now).openRouterFailing(failure.rateLimited(), failure.getMessage());
        if (!status.equals(before)) {
            try {
                StatusWrites.write(client, context, status, now);
            } catch (KubernetesClientException writeFailed) {
                LOG.warnf("could not report %s on %s/%s: HTTP %d", Conditions.find(status, KEY_PROVISIONED).get().getReason(),
                        client.getMetadata().getNamespace(), client.getMetadata().getName(), writeFailed.getCode());
            }
        }
        return ErrorStatusUpdateControl.defaultErrorProcessing();
    }

    @Override
    public DeleteControl cleanup(MaiClient client, Context<MaiClient> context) {
        try (var tenant = RequestGate.onBehalfOf(client.getMetadata().getNamespace())) {
            return release.release(client, context, Optional.ofNullable(sweep));
        }
    }
}
