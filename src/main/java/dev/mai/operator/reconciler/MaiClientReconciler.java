package dev.mai.operator.reconciler;

import dev.mai.operator.core.KeyRules;


import dev.mai.operator.core.Environment;
import dev.mai.operator.core.Owners;


import dev.mai.operator.core.Names;
import dev.mai.operator.core.Money;
import dev.mai.operator.core.GoDuration;
import dev.mai.operator.core.Budget;
import dev.mai.operator.core.SpecValidator;
import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.ha.InstallationId;


import static dev.mai.operator.reconciler.Conditions.APP_READY;
import static dev.mai.operator.reconciler.Conditions.FALSE;
import static dev.mai.operator.reconciler.Conditions.ROTATING;
import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.KEY_VALID;
import static dev.mai.operator.reconciler.Conditions.READY;
import static dev.mai.operator.reconciler.Conditions.SECRET_SYNCED;
import static dev.mai.operator.reconciler.Conditions.TRUE;
import static dev.mai.operator.reconciler.Conditions.UNKNOWN;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.app.AppConditions;
import dev.mai.operator.app.AppData;
import dev.mai.operator.app.AppDeployment;
import dev.mai.operator.app.AppInputs;
import dev.mai.operator.core.AppPolicy;
import dev.mai.operator.app.AppSecurity;
import dev.mai.operator.app.AppResources;
import dev.mai.operator.app.AppService;
import dev.mai.operator.app.RolloutTargets;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import dev.mai.operator.config.FrontEnd;
import io.quarkus.arc.lookup.LookupUnlessProperty;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.PendingRevocation;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CreatedKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.KeyPatch;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.openrouter.RequestGate;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
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
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Reconciles a MaiClient in this order: validate, find the management key, find
 * the Secret, resolve an unfinished create, get a key (adopt the one the Secret holds, or create
 * one), bring the key in line with the spec, write the Secret, revoke replaced keys, then the status.
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
    /** How soon a failure that needs a person (bad management key, no credits, ...) is tried again. */
    static final Duration SLOW_RETRY = Duration.ofMinutes(5);
    /** How soon a missing management key is looked for again (a file may appear). */
    static final Duration MISSING_KEY_RETRY = Duration.ofSeconds(30);
    static final Duration PROPAGATION_RECHECK = Duration.ofSeconds(2);
    static final Duration SLOW_PROPAGATION_RECHECK = Duration.ofSeconds(30);

    private static final Logger LOG = Logger.getLogger(MaiClientReconciler.class);

    private final KeyLifecycle lifecycle;
    private final ManagementKeys managementKeys;
    private final Events events;
    private final SpecValidator validator;
    private final MaiConfig config;
    private final Clock clock;
    private final ClientMetrics metrics;
    private final Sweeps sweeps;
    private final DigestKey digestKey;
    private final InstallationId installation;
    /** The validation sweep of the running controller (set when JOSDK asks for the event sources). */
    private volatile KeySweep sweep;

    public MaiClientReconciler(KeyLifecycle lifecycle, ManagementKeys managementKeys, Events events, MaiConfig config,
            Clock clock, ClientMetrics metrics, Sweeps sweeps, DigestKey digestKey, InstallationId installation) {
        this.lifecycle = lifecycle;
        this.managementKeys = managementKeys;
        this.events = events;
        this.validator = new SpecValidator(config.maxSpendingLimit(), AppPolicy.of(config.appAllowedImages(), config.appAllowedNodeSelectorKeys().orElse(List.of()),
                config.appAllowedTolerationKeys().orElse(List.of())));
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        this.sweeps = sweeps;
        this.digestKey = digestKey;
        this.installation = installation;
    }

    /** Name of the informer on the Secrets this operator writes. */
    static final String ENV_SECRETS = "env-secrets";

    /**
     * Informers, each filtered by label so the operator never caches every Secret of the cluster: the
     * Secrets it writes (by managed-by label, mapped to their MaiClient by label), management-key
     * Secrets (labelled {@code mai.dev/provisioning-key: "true"}, mapped to the MaiClients naming
     * them, so a fixed key is used at once) and, with MAI_DEFAULT_KEY_NAMESPACES, the namespaces it
     * selects (a label change there re-checks the namespace's MaiClients).
     */
    @Override
    public List<EventSource<?, MaiClient>> prepareEventSources(EventSourceContext<MaiClient> context) {
        // the default external user's collision check looks clients up by it instead of scanning them all
        context.getPrimaryCache().addIndexer(EXTERNAL_USER_INDEX, mc -> mc.getStatus() == null || mc.getStatus().getExternalUser() == null
                ? List.of() : List.of(mc.getStatus().getExternalUser()));
        List<EventSource<?, MaiClient>> sources = new ArrayList<>();
        sources.add(new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, MaiClient.class)
                .withName(ENV_SECRETS)
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
        config.defaultKeyNamespaces().ifPresent(selector -> sources.add(new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Namespace.class, MaiClient.class)
                        .withName(ManagementKeys.DEFAULT_KEY_NAMESPACES)
                        .withWatchAllNamespaces()
                        .withLabelSelector(selector)
                        .withSecondaryToPrimaryMapper(ns -> context.getPrimaryCache().list(ns.getMetadata().getName())
                                .map(ResourceID::fromResource).collect(Collectors.toSet()))
                        .build(), context)));
        return sources;
    }

    /** Every OpenRouter request of a reconcile takes its namespace's turn: a tenant cannot crowd the others out. */
    @Override
    public UpdateControl<MaiClient> reconcile(MaiClient client, Context<MaiClient> context) {
        try (var tenant = RequestGate.onBehalfOf(client.getMetadata().getNamespace())) {
            return reconcileClient(client, context);
        }
    }

    private UpdateControl<MaiClient> reconcileClient(MaiClient client, Context<MaiClient> context) {
        Instant now = clock.instant();
        Long generation = client.getMetadata().getGeneration();
        LOG.debugf("reconcile %s/%s generation %d", client.getMetadata().getNamespace(), client.getMetadata().getName(), generation);
        MaiClientStatus before = client.getStatus() == null ? new MaiClientStatus() : client.getStatus();
        MaiClientStatus status = new MaiClientStatus(before);
        status.setObservedGeneration(generation);

        List<SpecValidator.Violation> violations = validator.validate(client);
        if (!violations.isEmpty()) {
            String message = "Invalid spec: " + violations.stream().map(Object::toString).collect(Collectors.joining("; "));
            Conditions.initialise(status, generation, now);
            Conditions.set(status, READY, FALSE, Reason.INVALID_SPEC, message, generation, now);
            warnOnChange(client, before, status, READY);
            return commit(client, context, before, status);
        }
        ManagementKeys.Resolution managementKey = managementKeys.resolve(client, context);
        if (managementKey.isMissing()) {
            Conditions.initialise(status, generation, now);
            Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PROVISIONING_KEY_MISSING, managementKey.missing(), generation, now);
            Conditions.deriveReady(status, generation, now);
            warnOnChange(client, before, status, KEY_PROVISIONED);
            return commit(client, context, before, status).rescheduleAfter(MISSING_KEY_RETRY);
        }
        // hold the key Secret while it is in use (the one a key was made with is let go only once the
        // key is known under the new one)
        ProvisioningKeyRef source = managementKey.secret() == null ? null : client.getSpec().getProvisioningKeySecretRef();
        if (managementKey.secret() != null) {
            managementKeys.hold(context, client, managementKey.secret());
        }
        try {
            if (before.getKeyHash() != null && !Objects.equals(before.getProvisioningKeySecretRef(), source)
                    && lifecycle.prove(client, managementKey.key(), before.getKeyHash()).ownership() == KeyLifecycle.Ownership.GONE) {
                // the key lives on the account of the old management key: a new key here would leave it billing
                Conditions.initialise(status, generation, now);
                Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PROVISIONING_KEY_CHANGED, "The OpenRouter key of this "
                        + "MaiClient was made with " + describe(before.getProvisioningKeySecretRef()) + ", which OpenRouter does not "
                        + "know under " + describe(source) + " (another account). Put spec.provisioningKeySecretRef back; to move "
                        + "the client to the other account, delete and re-create the MaiClient", generation, now);
                Conditions.deriveReady(status, generation, now);
                warnOnChange(client, before, status, KEY_PROVISIONED);
                return commit(client, context, before, status).rescheduleAfter(SLOW_RETRY);
            }
            MaiClientStatus known = before;
            boolean takingOver = takingOver(client, managementKey.key(), before);
            if (takingOver) {
                // the other installation's key and its bookkeeping are not this installation's: start afresh
                known = forgetForeignKey(before);
                status = new MaiClientStatus(known);
                status.setObservedGeneration(generation);
            }
            UpdateControl<MaiClient> done = provision(client, context, managementKey.key(), source, known, status, now, takingOver);
            if (before.getProvisioningKeySecretRef() != null && !Objects.equals(before.getProvisioningKeySecretRef(), source)
                    && Objects.equals(status.getProvisioningKeySecretRef(), source)) {
                managementKeys.release(context, client, before.getProvisioningKeySecretRef().getName());
            }
            return done;
        } catch (SecretRefused refused) {
            MaiClientStatus reported = refused.status().orElse(status);
            reported.setObservedGeneration(generation);
            Conditions.initialise(reported, generation, now);
            if (refused.cause().isPresent()) {
                // its time is the last refused attempt (not the first): the slow retry counts from it, so a
                // refusal only the real write sees costs at most one key per SLOW_RETRY, not one per reconcile
                Conditions.remove(reported, SECRET_SYNCED);
                Conditions.set(reported, SECRET_SYNCED, FALSE, Reason.SECRET_WRITE_FAILED, refused.getMessage(), generation, now);
                // at most once per slow retry; the message quotes the server without the key's bytes
                LOG.warnf("%s/%s: %s", client.getMetadata().getNamespace(), client.getMetadata().getName(), refused.getMessage());
            }
            Conditions.blockedBy(reported, SECRET_SYNCED, generation, now);
            Conditions.deriveReady(reported, generation, now);
            warnOnChange(client, before, reported, SECRET_SYNCED);
            return commit(client, context, before, reported).rescheduleAfter(SLOW_RETRY);
        } catch (OpenRouterException e) {
            if (e.retryable()) {
                throw e; // backoff in JOSDK; updateErrorStatus reports it
            }
            String reason = e.managementKeyRejected() ? Reason.PROVISIONING_KEY_REJECTED
                    : e.insufficientCredits() ? Reason.INSUFFICIENT_CREDITS : Reason.OPENROUTER_REJECTED;
            Conditions.initialise(status, generation, now);
            Conditions.set(status, KEY_PROVISIONED, FALSE, reason, e.getMessage(), generation, now);
            Conditions.deriveReady(status, generation, now);
            warnOnChange(client, before, status, KEY_PROVISIONED);
            // status keeps what this reconcile did (a new key, keys still to revoke) for the next try
            return commit(client, context, before, status).rescheduleAfter(SLOW_RETRY);
        }
    }

    /**
     * True when a person asked this installation to take the client over ({@code mai.dev/take-over}
     * set to this installation's id), status already reports KeyOwnedElsewhere, and a fresh read
     * shows the key in status marked with another installation's id. Then the client gets a new key
     * of its own and the other key is left alone. Any other value, a key that is this client's, or a
     * key marked otherwise (another MaiClient's, retained, unmarked: nothing another installation
     * runs) changes nothing: a take-over must not become a way to a second key.
     */
    private boolean takingOver(MaiClient client, ApiKey managementKey, MaiClientStatus before) {
        return installation.get().equals(annotation(client, Labels.TAKE_OVER))
                && before.getKeyHash() != null
                && hasReason(before, KEY_PROVISIONED, Reason.KEY_OWNED_ELSEWHERE)
                && lifecycle.prove(client, managementKey, before.getKeyHash()).ownership() == KeyLifecycle.Ownership.OTHER_INSTALLATION;
    }

    /** The status without the foreign key and the bookkeeping that came with it (its usage, pending revocations). */
    private static MaiClientStatus forgetForeignKey(MaiClientStatus before) {
        MaiClientStatus status = new MaiClientStatus(before);
        status.setKeyHash(null);
        status.setKeyLabel(null);
        status.setKeyCreatedAt(null);
        status.setKeyCreationStartedAt(null);
        status.setPendingRevocations(List.of());
        status.setUsage(null);
        status.setUsageInPeriod(null);
        status.setLimitRemaining(null);
        status.setCarriedUsage(null);
        status.setCarriedUsageInPeriod(null);
        status.setCarriedUntil(null);
        status.setNextRotationAt(null);
        return status;
    }

    /**
     * The key in status exists but a fresh read does not show it as this installation's key of this
     * MaiClient. Creating a key here would give the client a second spending ceiling on the same
     * account, writing to that key could take it from its owner: nothing is created or written, and
     * status says how to go on. The message names nothing of the other key.
     */
    private UpdateControl<MaiClient> ownedElsewhere(MaiClient client, Context<MaiClient> context, MaiClientStatus before,
            MaiClientStatus status, KeyLifecycle.Proof proof, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        // what this reconcile planned (a replacement, a revocation) is not carried out: report on what was
        MaiClientStatus reported = new MaiClientStatus(before);
        reported.setObservedGeneration(generation);
        reported.setExternalUser(status.getExternalUser());
        // one message for every case: which of them it is would tell whoever can write status about a key
        String why = "A fresh read of the key in status.keyHash does not show it as this installation's (" + installation.get()
                + ") key of this MaiClient: it carries another installation's id (a cloned or restored cluster whose operator "
                + "was given a new id, or a second operator watching the same MaiClients), or it is not this MaiClient's";
        Conditions.initialise(reported, generation, now);
        Conditions.set(reported, KEY_PROVISIONED, FALSE, Reason.KEY_OWNED_ELSEWHERE, why + ". Nothing is created or changed "
                + "for this MaiClient meanwhile: a new key would double its spending ceiling on the same account. If this "
                + "installation is to take over a client another installation made, set the annotation " + Labels.TAKE_OVER
                + ": \"" + installation.get() + "\" on the MaiClient: it then gets a new key of its own and the other key "
                + "is left alone", generation, now);
        Conditions.deriveReady(reported, generation, now);
        warnOnChange(client, before, reported, KEY_PROVISIONED);
        return commit(client, context, before, reported).rescheduleAfter(SLOW_RETRY);
    }

    private static String describe(ProvisioningKeyRef ref) {
        return ref == null ? "the operator-wide management key" : "the management key in Secret " + ref.getName();
    }

    private UpdateControl<MaiClient> provision(MaiClient client, Context<MaiClient> context, ApiKey managementKey,
            ProvisioningKeyRef source, MaiClientStatus before, MaiClientStatus status, Instant now, boolean takingOver) {
        Long generation = client.getMetadata().getGeneration();
        String uid = client.getMetadata().getUid();
        String secretName = Names.secretName(client);
        boolean unfinished = before.getKeyCreationStartedAt() != null;
        Optional<Secret> secret;
        try {
            // with an unfinished create, what the Secret holds decides which keys are deleted: read it fresh
            secret = findSecret(client, context, secretName, unfinished);
        } catch (SecretConflict conflict) {
            Conditions.initialise(status, generation, now);
            Conditions.set(status, SECRET_SYNCED, FALSE, Reason.SECRET_CONFLICT, conflict.getMessage(), generation, now);
            Conditions.blockedBy(status, SECRET_SYNCED, generation, now);
            Conditions.deriveReady(status, generation, now);
            warnOnChange(client, before, status, SECRET_SYNCED);
            return commit(client, context, before, status).rescheduleAfter(SLOW_RETRY);
        }
        // after a rename of spec.secret.name the key is still in the Secret under its old name
        Optional<Secret> previous = Optional.empty();
        // also when the new one exists already: a crash or a failed delete after the move must not leave a
        // live copy of the key in the old Secret
        if (before.getSecretName() != null && !before.getSecretName().equals(secretName)) {
            try {
                previous = findSecret(client, context, before.getSecretName(), unfinished);
            } catch (SecretConflict replacedByAnother) {
                previous = Optional.empty();
            }
        }
        status.setExternalUser(externalUser(client, context, before));

        // the Secret is written before the status, so it says which key is in use
        Optional<Secret> keySource = secret.isPresent() ? secret : previous;
        byte[] digest = digestKey.get();
        // taking a client over from another installation: the key its Secret holds is that installation's
        Optional<EnvSecret.Stored> stored = takingOver ? Optional.empty()
                : keySource.flatMap(s -> EnvSecret.stored(s, uid, before.getKeyHash(), digest));
        boolean mustRead = false;
        boolean tampered = false;
        Optional<KeyLifecycle.Owned> proven = Optional.empty(); // the key in the Secret, if a fresh read proved it this client's
        if (stored.isPresent() && before.getKeyHash() != null && !stored.get().hash().equals(before.getKeyHash())) {
            // Secret and status disagree (a crash between the two writes, or an old copy of the Secret put
            // back): decide on a fresh read of the Secret and of the key, never on the cache alone
            String name = keySource.get().getMetadata().getName();
            Optional<Secret> fresh = findSecret(client, context, name, true);
            if (name.equals(secretName)) {
                secret = fresh;
            } else {
                previous = fresh;
            }
            stored = fresh.flatMap(s -> EnvSecret.stored(s, uid, before.getKeyHash(), digest));
            mustRead = true;
            if (stored.isPresent() && !stored.get().hash().equals(before.getKeyHash())
                    && (!unfinished || !lifecycle.prove(client, managementKey, stored.get().hash()).ours())) {
                // only this client's own unfinished create can have put a newer key there, and only a key
                // OpenRouter shows as this client's is one: the Secret was tampered with. The key it names is
                // neither believed nor touched; the key in status is still this client's and is replaced
                stored = Optional.empty();
                tampered = true;
            }
        }
        if (stored.isPresent() && stored.get().legacy()) {
            // a digest from before the operator held a secret proves nothing: believe it once, on a fresh
            // read that shows the key as this client's; the Secret is then rewritten with a keyed digest
            EnvSecret.Stored legacy = stored.get();
            KeyLifecycle.Proof proof = lifecycle.prove(client, managementKey, legacy.hash());
            if (proof.foreign() && legacy.hash().equals(before.getKeyHash())) {
                return ownedElsewhere(client, context, before, status, proof, now);
            }
            boolean sameKey = proof.key().map(k -> k.info().labelAllows(legacy.key())).orElse(true);
            if (proof.foreign() || !sameKey) {
                // another's key, or a value the key's masked label shows is not that key
                stored = Optional.empty();
                tampered = true;
            }
            proven = proof.key().filter(k -> sameKey);
            mustRead = true;
        }
        String hash = stored.map(EnvSecret.Stored::hash).orElse(null);
        Optional<ApiKey> key = stored.map(EnvSecret.Stored::key);
        List<PendingRevocation> revocations = new ArrayList<>(Optional.ofNullable(before.getPendingRevocations()).orElse(List.of()));
        String replacedWhy = null;
        if (hash == null && keySource.flatMap(EnvSecret::storedKey).isPresent() && !takingOver) {
            tampered = true; // a key whose digest does not verify: edited by hand, or written by someone else
        }
        if (before.getKeyHash() != null && !before.getKeyHash().equals(hash)) {
            replacedWhy = hash != null ? "a newer key is in Secret " + secretName
                    : tampered ? "the key in Secret " + secretName + " was changed by hand: it holds or names a key other than "
                            + "this MaiClient's"
                    : "the Secret holding it was deleted";
            String old = before.getKeyHash();
            if (revocations.stream().noneMatch(r -> old.equals(r.getHash()))) {
                revocations.add(forced(old, now));
            }
        }
        status.setPendingRevocations(revocations);

        if (unfinished) {
            Set<String> keep = new HashSet<>();
            keep.add(hash);
            keep.add(before.getKeyHash());
            // old keys waiting for their consumers are still in use: never collected here
            Optional.ofNullable(before.getPendingRevocations()).orElse(List.of()).forEach(r -> keep.add(r.getHash()));
            Instant startedAt = Instant.parse(before.getKeyCreationStartedAt());
            boolean accounted = lifecycle.collectUnfinishedCreate(client, managementKey, startedAt, keep);
            Duration waited = Duration.between(startedAt, now);
            if (hash == null && !accounted && waited.compareTo(KeyRules.UNFINISHED_CREATE_GRACE) < 0) {
                Conditions.set(status, KEY_PROVISIONED, UNKNOWN, Reason.PENDING, "An earlier key creation did not finish; "
                        + "waiting for its key to appear on OpenRouter before creating another", generation, now);
                Conditions.deriveReady(status, generation, now);
                return commit(client, context, before, status).rescheduleAfter(KeyRules.UNFINISHED_CREATE_GRACE.minus(waited));
            }
        }

        // what OpenRouter said of the key during this reconcile, proven this client's
        String inSecret = hash;
        KeyLifecycle.Owned observed = proven.filter(k -> k.hash().equals(inSecret)).orElse(null);
        boolean justCreated = false;
        String due = hash != null && hash.equals(before.getKeyHash()) && !unfinished ? rotationDue(client, before, now) : null;
        Optional<KeyLifecycle.Owned> outgoing = Optional.empty();
        if (due != null) {
            KeyLifecycle.Proof proof = lifecycle.prove(client, managementKey, hash);
            if (proof.foreign()) {
                return ownedElsewhere(client, context, before, status, proof, now);
            }
            outgoing = proof.key();
        }
        boolean rotationWaitsForBudget = outgoing.isPresent() && !rotationLeavesBudget(client, status, outgoing.get().info(), now);
        if (rotationWaitsForBudget) {
            // the new key would start with nothing: the rotation waits for the reset (rotationDue stays true)
            outgoing = Optional.empty();
        }
        if (outgoing.isPresent()) {
            NewKey created = rotate(client, context, managementKey, source, secret, status, outgoing.get(), due, now);
            observed = created.owned();
            hash = observed.hash();
            key = Optional.of(created.key().key());
            secret = Optional.of(created.secret());
            justCreated = true;
        } else if (hash == null) {
            if (replacedWhy != null && keySource.isEmpty()
                    && NamespaceLifecycle.terminating(context.getClient(), client.getMetadata().getNamespace(), secretName,
                            client.getMetadata().getName())) {
                // the namespace controller took the Secret: nothing new can be stored in a namespace being
                // deleted, and freezing the key now would break a key deletionPolicy Retain keeps. The key is
                // left as it is for the MaiClient's deletion, which follows
                LOG.infof("%s/%s: Secret %s is gone with its namespace, which is being deleted; the key is left to the "
                        + "MaiClient's deletion", client.getMetadata().getNamespace(), client.getMetadata().getName(), secretName);
                return UpdateControl.noUpdate();
            }
            if (replacedWhy != null) {
                // the old key still exists (its Secret was lost): stop it spending, carry its figures — once
                // a fresh read shows it is this client's; a key another installation owns gets no successor here
                KeyLifecycle.Proof proof = lifecycle.prove(client, managementKey, before.getKeyHash());
                if (proof.foreign()) {
                    return ownedElsewhere(client, context, before, status, proof, now);
                }
                retire(client, managementKey, before, status, before.getKeyHash(), proof.key(), now);
            }
            if (tampered) {
                events.warning(client, Reason.SECRET_TAMPERED, "Secret " + keySource.map(s -> s.getMetadata().getName()).orElse(secretName)
                        + " was edited to hold or name a key other than this MaiClient's. That key was not used or touched; "
                        + "a new key of this MaiClient replaces it");
            }
            if (lifecycle.nothingLeft(client, Budget.committedInPeriod(status, clocks(now)))) {
                return limitExhausted(client, context, before, status, now);
            }
            NewKey created = createAndStore(client, context, managementKey, source, secret, status, now);
            if (replacedWhy != null) {
                // the old key's value cannot be recovered (OpenRouter shows a key once): it is replaced
                events.warning(client, Events.KEY_REPLACED, "Created OpenRouter key " + created.key().info().label()
                        + " to replace the previous key: " + replacedWhy);
                metrics.rotated(Events.KEY_REPLACED);
            }
            if (takingOver) {
                events.normal(client, Events.KEY_TAKEN_OVER, "Took this MaiClient over from another installation ("
                        + Labels.TAKE_OVER + "): created OpenRouter key " + created.key().info().label()
                        + "; the key the other installation owns was left alone");
            }
            observed = created.owned();
            hash = observed.hash();
            key = Optional.of(created.key().key());
            secret = Optional.of(created.secret());
            justCreated = true;
        }
        status.setKeyHash(hash);
        mustRead |= keepCurrent(status, hash);

        // what the last sweep saw of this key (no request): trouble there is checked on a fresh read
        String current = hash;
        Optional<Observation> seen = sweep().flatMap(s -> s.observation(client)).filter(o -> o.hash().equals(current));
        boolean disabledByOperator = disabledByOperator(before, hash);
        boolean knownDisabledOutside = hasReason(before, KEY_VALID, Reason.KEY_DISABLED_OUTSIDE);
        boolean attention = seen.map(o -> o.gone() || o.foreign() || differs(lifecycle.plan(client, o.key(), disabledByOperator,
                Budget.committedInPeriod(status, clocks(now))),
                knownDisabledOutside)).orElse(false);
        boolean awaitingAuth = hash.equals(before.getKeyHash()) && hasReason(before, KEY_VALID, Reason.KEY_NOT_ACCEPTED_YET);
        KeyRules.Verdict verdict = null;
        if (justCreated || awaitingAuth || seen.map(Observation::gone).orElse(false)) {
            // the key as the application uses it: GET /key with the key itself
            verdict = lifecycle.verify(managementKey, key.get(), hash);
        }
        if (verdict == KeyRules.Verdict.REVOKED && (justCreated || awaitingAuth) && young(status, before, now)) {
            verdict = KeyRules.Verdict.NOT_YET; // OpenRouter's lookups may not know a key this new yet
        }
        boolean revoked = verdict == KeyRules.Verdict.REVOKED;

        boolean disabledOutside = false;
        boolean read = false;
        KeyInfo figures = null; // the key's figures: from this reconcile's read or write, else the last sweep's
        if (revoked || observed != null || mustRead || attention || awaitingAuth
                || !Conditions.isTrueFor(before, KEY_PROVISIONED, generation)) {
            if (observed == null || revoked) {
                KeyLifecycle.Proof proof = revoked ? null : lifecycle.prove(client, managementKey, hash);
                if (proof != null && proof.foreign()) {
                    return ownedElsewhere(client, context, before, status, proof, now);
                }
                observed = proof == null ? null : proof.key().orElse(null);
                if (observed == null && verdict != null && !revoked && young(status, before, now)) {
                    // a key this new may work before OpenRouter's lookup shows it: look again shortly
                    Conditions.initialise(status, generation, now);
                    Conditions.set(status, KEY_VALID, UNKNOWN, Reason.KEY_NOT_ACCEPTED_YET, "OpenRouter does not show key "
                            + status.getKeyLabel() + " yet; a new key can take a moment to propagate", generation, now);
                    Conditions.deriveReady(status, generation, now);
                    return commit(client, context, before, status).rescheduleAfter(PROPAGATION_RECHECK);
                }
                if (observed == null && verdict == KeyRules.Verdict.VALID) {
                    // the key works, yet this management key does not know it: another account's key — never
                    // replace a working key (the old one would go on billing where this operator cannot see it)
                    Conditions.initialise(status, generation, now);
                    Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PROVISIONING_KEY_CHANGED, "OpenRouter key "
                            + Optional.ofNullable(status.getKeyLabel()).orElse("") + " still works, but the management key in use "
                            + "does not know it (was the management key replaced by one of another account?). Put the "
                            + "original management key back; nothing is created meanwhile", generation, now);
                    Conditions.deriveReady(status, generation, now);
                    warnOnChange(client, before, status, KEY_PROVISIONED);
                    return commit(client, context, before, status).rescheduleAfter(SLOW_RETRY);
                }
                if (observed == null) {
                    // OpenRouter no longer has the key the Secret holds: report it, then a new key replaces it
                    String label = Optional.ofNullable(status.getKeyLabel()).orElse(hash.substring(0, 12) + "...");
                    Conditions.initialise(status, generation, now);
                    Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_REVOKED, "OpenRouter key " + label
                            + " no longer exists (deleted outside the operator); a new key replaces it", generation, now);
                    Conditions.deriveReady(status, generation, now);
                    warnOnChange(client, before, status, KEY_VALID);
                    retire(client, managementKey, before, status, hash, Optional.empty(), now);
                    if (lifecycle.nothingLeft(client, Budget.committedInPeriod(status, clocks(now)))) {
                        return limitExhausted(client, context, before, status, now);
                    }
                    NewKey created = createAndStore(client, context, managementKey, source, secret, status, now);
                    metrics.rotated(Reason.KEY_REVOKED);
                    observed = created.owned();
                    hash = observed.hash();
                    key = Optional.of(created.key().key());
                    secret = Optional.of(created.secret());
                    verdict = lifecycle.verify(managementKey, key.get(), hash);
                    justCreated = true;
                }
                status.setKeyLabel(observed.info().label());
                if (!justCreated && (status.getKeyCreatedAt() == null || !hash.equals(before.getKeyHash()))) {
                    status.setKeyCreatedAt(observed.info().createdAt());
                }
            }
            KeyLifecycle.Sync sync = lifecycle.sync(client, managementKey, observed, disabledByOperator,
                    Budget.committedInPeriod(status, clocks(now)));
            observed = sync.key();
            figures = observed.info();
            disabledOutside = sync.disabledOutside();
            read = true;
            status.setKeyDisabledByOperator(figures.disabled() && !disabledOutside ? Boolean.TRUE : null);
        } else if (seen.isPresent() && !seen.get().foreign()) {
            figures = seen.get().key(); // the sweep's figures: budget and validity without a request
            disabledOutside = lifecycle.plan(client, figures, disabledByOperator, Budget.committedInPeriod(status, clocks(now)))
                    .disabledOutside();
            status.setKeyDisabledByOperator(figures.disabled() && !disabledOutside ? Boolean.TRUE : null);
        }
        if (figures != null) {
            Budget.apply(status, figures, clocks(now));
            if (read) {
                metrics.observed(client, figures, now);
                KeyInfo fresh = figures;
                sweep().ifPresent(s -> s.remember(client, managementKey, fresh));
            }
        }

        Secret desired = desiredSecret(client, key.get(), status);
        secret.ifPresent(actual -> EnvSecret.keepRevision(actual, desired));
        if (secret.isEmpty() || !EnvSecret.inSync(secret.get(), desired)) {
            try {
                writeSecret(client, context, secret, desired);
            } catch (SecretRefused refused) {
                throw new SecretRefused(secretName, refused.cause().orElse(null), null, secret.isPresent(), desired);
            }
        }
        String revision = desired.getMetadata().getAnnotations().get(Labels.ENV_REVISION);
        status.setSecretName(secretName);
        if (previous.isPresent()) {
            context.getClient().resource(previous.get()).delete();
            events.normal(client, Events.SECRET_MOVED, "Moved the environment from Secret "
                    + previous.get().getMetadata().getName() + " to " + secretName);
        }
        Rollout rollout = rollout(client, context, status, secretName, revision, now);
        // old keys go once the key in use is stored and every consumer runs it (a forced replacement's
        // at the latest after the rotation grace); a failed revoke throws and they stay pending
        boolean rebalance = false;
        boolean stuck = false;
        List<PendingRevocation> remaining = new ArrayList<>();
        for (PendingRevocation r : Optional.ofNullable(status.getPendingRevocations()).orElse(List.of())) {
            if (r.getHash().equals(hash)) {
                continue;
            }
            boolean overdue = !now.isBefore(parseInstant(r.getNotAfter()).orElse(now));
            if (!rollout.done() && (r.waitsForRollout() || !overdue)) {
                remaining.add(r);
                stuck |= r.waitsForRollout() && (overdue || rollout.deadlineExceeded());
                continue;
            }
            String why = (Objects.equals(r.getHash(), before.getKeyHash()) && replacedWhy != null ? "because " + replacedWhy
                    : "because a newer key replaced it")
                    + (rollout.consumers() == 0 ? "" : rollout.done() ? ", once every consumer had rolled out the new key"
                            : ", " + config.rotationGrace().toSeconds() + "s after it was replaced although "
                                    + String.join(", ", rollout.waiting()) + " had not rolled out the new key");
            if (r.getUsage() != null) {
                settle(client, managementKey, status, r, now); // a rotation's old key: carry its final spend
                rebalance |= r.getReservedInPeriod() != null;
            }
            lifecycle.revoke(client, managementKey, r.getHash(), Events.OLD_KEY_REVOKED, why);
        }
        if (!remaining.isEmpty()) {
            // on every path, not only after a spec change: a limit lowered while a reconcile failed still clamps
            remaining = restrain(client, managementKey, status, remaining, now);
        }
        status.setPendingRevocations(remaining);
        if (rebalance) {
            // the old key's unspent share moves to the key in use
            KeyLifecycle.Owned inUse = observed != null ? observed : lifecycle.prove(client, managementKey, hash).key().orElse(null);
            if (inUse != null) {
                KeyLifecycle.Sync sync = lifecycle.sync(client, managementKey, inUse, disabledByOperator,
                        Budget.committedInPeriod(status, clocks(now)));
                observed = sync.key();
                figures = observed.info();
                disabledOutside = sync.disabledOutside();
                status.setKeyDisabledByOperator(figures.disabled() && !disabledOutside ? Boolean.TRUE : null);
                Budget.apply(status, figures, clocks(now));
            }
        }
        status.setKeyCreationStartedAt(null);
        status.setProvisioningKeySecretRef(source); // the key is known under this management key

        seen.filter(o -> !o.orphans().isEmpty()).ifPresent(o -> collectOrphans(client, context, managementKey, o.orphans()));

        Conditions.initialise(status, generation, now);
        Conditions.set(status, KEY_PROVISIONED, TRUE, Reason.PROVISIONED,
                "OpenRouter key " + status.getKeyLabel() + " matches the spec", generation, now);
        String synced = "Secret " + secretName + " holds the current values" + (rollout.missing().isEmpty() ? ""
                : "; rollout targets left alone: " + String.join(", ", rollout.missing()));
        if (tampered) {
            Conditions.set(status, SECRET_SYNCED, TRUE, Reason.SECRET_TAMPERED, synced + ". At " + now.truncatedTo(
                    java.time.temporal.ChronoUnit.SECONDS) + " it had been edited to hold or name a key other than this "
                    + "MaiClient's; that key was not used or touched, and this MaiClient got a new key of its own", generation, now);
        } else if (!hasReason(before, SECRET_SYNCED, Reason.SECRET_TAMPERED) || !hash.equals(before.getKeyHash())) {
            Conditions.set(status, SECRET_SYNCED, TRUE, Reason.SYNCED, synced, generation, now);
        } // else: the tampering stays on record until the next key

        if (!rollout.missing().isEmpty() && !hasMessage(before, SECRET_SYNCED, synced)) {
            events.warning(client, Events.ROLLOUT_TARGET_MISSING, "Rollout targets left alone in namespace "
                    + client.getMetadata().getNamespace() + ": " + String.join(", ", rollout.missing()));
        }
        rotatingCondition(client, before, status, remaining, rollout, stuck, now);
        // a rotation asked for with mai.dev/rotate that waits for its spacing shows when it will run
        Optional<Instant> requested = requestedRotationAt(client, status).filter(now::isBefore);
        status.setNextRotationAt(nextRotation(client, status.getKeyCreatedAt())
                .map(at -> requested.filter(r -> r.isBefore(at)).orElse(at)).or(() -> requested)
                .map(Instant::toString).orElse(null));
        if (rotationWaitsForBudget && remaining.isEmpty()) {
            // a due rotation (scheduled or asked for) would leave the new key nothing to spend: it runs after the reset
            String at = Optional.ofNullable(status.getNextLimitResetAt()).orElse(status.getNextRotationAt());
            status.setNextRotationAt(at);
            Conditions.set(status, ROTATING, FALSE, Reason.IDLE, "A rotation is due and waits for the limit reset"
                    + (at == null ? "" : " at " + at) + ": a new key now would start with nothing to spend", generation, now);
        }
        Duration recheck = null;
        if (verdict == KeyRules.Verdict.NOT_YET && figures != null && !figures.disabled()) {
            recheck = awaitNewKey(client, status, now);
        } else if (figures != null) {
            keyValidity(client, status, figures, disabledOutside, now);
        }
        String checked = hash; // a key the sweep could not check: KeyValid as last checked, its message says since when
        SweepGap.show(before, status, sweep().flatMap(s -> s.gap(client, checked)), now);
        Conditions.deriveReady(status, generation, now);
        warnOnChange(client, before, status, KEY_VALID);
        if (hasReason(status, APP_READY, Reason.APP_REJECTED)) {
            warnOnChange(client, before, status, APP_READY); // needs a person; a rollout in progress is no news
        }
        UpdateControl<MaiClient> done = commit(client, context, before, status);
        List<Duration> rechecks = new ArrayList<>();
        Optional.ofNullable(recheck).ifPresent(rechecks::add);
        // the full limit returns once the period boundary has passed on both clocks: be there to raise it
        parseInstant(status.getCarriedUntil()).ifPresent(at -> rechecks.add(untilReset(at, now)));
        if (rotationWaitsForBudget) {
            parseInstant(status.getNextLimitResetAt()).ifPresent(at -> rechecks.add(untilReset(at, now)));
        }
        remaining.forEach(r -> parseInstant(r.getNotAfter()).filter(now::isBefore).ifPresent(at -> rechecks.add(until(at, now))));
        if (remaining.stream().noneMatch(PendingRevocation::waitsForRollout)) {
            // while a rotation waits for its consumers, their informers wake this reconcile, not a timer
            parseInstant(status.getNextRotationAt()).filter(now::isBefore).ifPresent(at -> rechecks.add(until(at, now)));
            requestedRotationAt(client, status).filter(now::isBefore).ifPresent(at -> rechecks.add(until(at, now)));
        }
        if (!rollout.missing().isEmpty() || rollout.refused()) {
            rechecks.add(MISSING_KEY_RETRY); // a target created later is not labelled yet, a refused app object may pass now
        }
        return rechecks.stream().min(Duration::compareTo).map(done::rescheduleAfter).orElse(done);
    }

    /** How often a rotation may be asked for with {@code mai.dev/rotate}. */
    static final Duration ROTATE_REQUEST_SPACING = Duration.ofMinutes(5);

    /** Where the client's consumers stand with the current revision: still rolling, missing, gave up. */
    private record Rollout(int consumers, List<String> waiting, List<String> missing, boolean deadlineExceeded, boolean refused) {
        boolean done() {
            return waiting.isEmpty();
        }
    }

    /**
     * Brings the client's application in line (JOSDK workflow: Deployment, Service, data claim,
     * each deleted again without spec.app but a retained claim) and sets the Secret's revision on the
     * rollout targets; reports AppReady and which consumers have not rolled out the revision yet.
     */
    private Rollout rollout(MaiClient client, Context<MaiClient> context, MaiClientStatus status, String secretName,
            String revision, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        var workflow = context.managedWorkflowAndDependentResourceContext();
        workflow.put(AppInputs.class, new AppInputs(secretName, revision));
        Optional<String> refused;
        try {
            workflow.reconcileManagedWorkflow();
            refused = Optional.empty();
        } catch (io.javaoperatorsdk.operator.OperatorException e) {
            refused = appRefusal(e);
        }
        List<String> waiting = new ArrayList<>();
        int consumers = 0;
        boolean deadline = false;
        if (client.getSpec().getApp() != null) {
            consumers++;
            String name = AppResources.appName(client);
            Optional<Deployment> app = ManagementKeys.informer(context, AppDeployment.NAME, Deployment.class)
                    .get(new ResourceID(name, client.getMetadata().getNamespace()));
            if (refused.isPresent()) {
                // the API server refused an app object (invalid, forbidden, a name another object has): say what
                // it said, and count the app as not rolled out, so no old key goes before it runs the new one
                waiting.add("Deployment/" + name);
                Conditions.set(status, APP_READY, FALSE, Reason.APP_REJECTED, refused.get(), generation, now);
            } else if (app.isPresent() && AppResources.rolledOut(app.get(), revision)) {
                Conditions.set(status, APP_READY, TRUE, Reason.AVAILABLE, "Deployment " + name
                        + " is available with Secret revision " + revision, generation, now);
            } else {
                boolean gaveUp = app.map(AppResources::progressDeadlineExceeded).orElse(false);
                deadline |= gaveUp;
                waiting.add("Deployment/" + name);
                Conditions.set(status, APP_READY, FALSE, gaveUp ? Reason.ROLLOUT_STUCK : Reason.APP_PROGRESSING,
                        "Deployment " + name + (gaveUp ? " exceeded its progress deadline rolling out" : " is rolling out")
                                + " Secret revision " + revision, generation, now);
            }
            Optional<String> relaxed = AppSecurity.relaxation(client.getSpec().getApp());
            boolean newlyRelaxed = relaxed.isPresent() && !hasReason(status, Conditions.APP_RESTRICTED, Reason.BASELINE_REQUESTED);
            Conditions.set(status, Conditions.APP_RESTRICTED, relaxed.isPresent() ? FALSE : TRUE, relaxed.isPresent()
                    ? Reason.BASELINE_REQUESTED : Reason.RESTRICTED, relaxed.orElse("The application pod passes Pod Security "
                    + "restricted"), generation, now);
            if (newlyRelaxed) {
                events.warning(client, Reason.BASELINE_REQUESTED, relaxed.get());
            }
        } else {
            Conditions.remove(status, APP_READY);
            Conditions.remove(status, Conditions.APP_RESTRICTED);
        }
        RolloutTargets.State targets = RolloutTargets.apply(client, context, revision);
        consumers += Optional.ofNullable(client.getSpec().getRolloutTargets()).map(List::size).orElse(0);
        waiting.addAll(targets.rolling());
        // a target left alone (not found for a moment, rolled by another MaiClient) has not rolled out the new key:
        // an old key waits for it like for any consumer (a forced replacement at most MAI_ROTATION_GRACE)
        waiting.addAll(targets.missing());
        return new Rollout(consumers, waiting, targets.missing(), deadline || targets.deadlineExceeded(), refused.isPresent());
    }

    /**
     * What the API server said when it refused an app object (invalid, forbidden, a name another
     * object has): the failed dependents, each with the server's message (it names the field; any key
     * is scrubbed). Anything else the workflow threw is thrown on: JOSDK retries it with backoff.
     */
    private static Optional<String> appRefusal(io.javaoperatorsdk.operator.OperatorException e) {
        io.javaoperatorsdk.operator.AggregatedOperatorException aggregated = null;
        for (Throwable t = e; t != null && aggregated == null; t = t.getCause()) {
            if (t instanceof io.javaoperatorsdk.operator.AggregatedOperatorException a) {
                aggregated = a;
            }
        }
        if (aggregated == null) {
            throw e;
        }
        List<String> parts = new ArrayList<>();
        for (var failed : aggregated.getAggregatedExceptions().entrySet()) {
            Throwable cause = failed.getValue();
            while (cause != null && !(cause instanceof KubernetesClientException)) {
                cause = cause.getCause();
            }
            if (!(cause instanceof KubernetesClientException k) || k.getCode() < 400 || k.getCode() >= 500 || k.getCode() == 429) {
                throw e; // not a refusal: a server or network failure heals with a retry
            }
            String what = switch (failed.getKey()) {
                case AppDeployment.NAME -> "Deployment";
                case AppService.NAME -> "Service";
                case AppData.NAME -> "PersistentVolumeClaim";
                default -> failed.getKey();
            };
            String said = k.getStatus() != null && k.getStatus().getMessage() != null ? k.getStatus().getMessage() : k.getMessage();
            parts.add(what + " refused by the API server (HTTP " + k.getCode() + "): " + ApiKey.scrub(said)
                    + (k.getCode() == 409 ? " (an object of that name exists and is not this MaiClient's: delete or rename "
                            + "that object, or re-create the MaiClient under another name)" : ""));
        }
        parts.sort(String::compareTo);
        return Optional.of(String.join("; ", parts));
    }

    /** Rotating: True while old keys wait for the consumers, RolloutStuck when a rollout did not finish in time. */
    private void rotatingCondition(MaiClient client, MaiClientStatus before, MaiClientStatus status,
            List<PendingRevocation> remaining, Rollout rollout, boolean stuck, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        if (remaining.isEmpty()) {
            Conditions.set(status, ROTATING, FALSE, Reason.IDLE, "No rotation in progress", generation, now);
            return;
        }
        String waiting = String.join(", ", rollout.waiting());
        if (stuck) {
            String message = waiting + " did not finish rolling out the new key; the old key is kept until it does "
                    + "(fix the rollout; the old key stays valid meanwhile)";
            Conditions.set(status, ROTATING, TRUE, Reason.ROLLOUT_STUCK, message, generation, now);
            if (!hasReason(before, ROTATING, Reason.ROLLOUT_STUCK)) {
                events.warning(client, Reason.ROLLOUT_STUCK, message);
            }
            return;
        }
        String latest = remaining.stream().filter(r -> !r.waitsForRollout()).map(PendingRevocation::getNotAfter)
                .min(String::compareTo).map(t -> ", at the latest at " + t).orElse("");
        Conditions.set(status, ROTATING, TRUE, Reason.ROTATION_IN_PROGRESS, "Waiting for " + waiting
                + " to roll out the new key; the old key is deleted then" + latest, generation, now);
    }

    /**
     * Why the current key should be rotated now, or null: a new value of {@code mai.dev/rotate}
     * (at most once per {@link #ROTATE_REQUEST_SPACING}), or {@code spec.rotation.every} passed. One
     * rotation at a time: while an old key waits for the consumers, nothing new starts.
     */
    private String rotationDue(MaiClient client, MaiClientStatus before, Instant now) {
        if (Optional.ofNullable(before.getPendingRevocations()).orElse(List.of()).stream().anyMatch(PendingRevocation::waitsForRollout)) {
            return null;
        }
        if (requestedRotationAt(client, before).filter(at -> !now.isBefore(at)).isPresent()) {
            return PendingRevocation.REQUESTED;
        }
        boolean disabled = Boolean.TRUE.equals(client.getSpec().getDisableKey())
                || hasReason(before, KEY_VALID, Reason.KEY_DISABLED_OUTSIDE);
        return !disabled && nextRotation(client, before.getKeyCreatedAt()).filter(at -> !now.isBefore(at)).isPresent()
                ? PendingRevocation.SCHEDULED : null;
    }

    /** When a rotation asked for by a new {@code mai.dev/rotate} value may happen; empty when none is asked. */
    private static Optional<Instant> requestedRotationAt(MaiClient client, MaiClientStatus status) {
        String asked = annotation(client, Labels.ROTATE);
        if (asked == null || asked.equals(status.getRotationRequest())) {
            return Optional.empty();
        }
        return Optional.of(parseInstant(status.getKeyCreatedAt()).map(c -> c.plus(ROTATE_REQUEST_SPACING)).orElse(Instant.EPOCH));
    }

    /** When spec.rotation replaces a key created at {@code keyCreatedAt}. */
    private static Optional<Instant> nextRotation(MaiClient client, String keyCreatedAt) {
        var rotation = client.getSpec().getRotation();
        Optional<Duration> every = rotation == null ? Optional.empty() : GoDuration.parse(rotation.getEvery());
        return every.flatMap(e -> parseInstant(keyCreatedAt).map(c -> c.plus(e)));
    }

    /**
     * Rotates the key (scheduled or requested): the old key keeps a share of what the client can
     * still spend in this period, the new key gets the rest, and the old key waits in
     * pendingRevocations until every consumer rolled out the new one. The share and the old key's
     * figures are recorded with the intent, before the create, so a crash cannot lose them.
     */
    private NewKey rotate(MaiClient client, Context<MaiClient> context, ApiKey managementKey, ProvisioningKeyRef source,
            Optional<Secret> secret, MaiClientStatus status, KeyLifecycle.Owned outgoing, String reason, Instant now) {
        KeyInfo old = outgoing.info();
        Optional<BigDecimal> limit = Money.limit(client.getSpec().getSpendingLimit());
        BigDecimal share = limit.map(l -> Budget.overlapShare(l, status, old, clocks(now))).orElse(null);
        BigDecimal oldLimit = share == null ? null : Money.cents(old.usageInPeriod().add(share));
        Budget.carryLifetime(status, old.usage());
        // a share of nothing for a key that spent nothing would be a limit of 0: such a key is disabled instead
        boolean disableOld = oldLimit != null && Budget.nothingLeft(oldLimit);
        List<PendingRevocation> pending = new ArrayList<>(Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()));
        PendingRevocation entry = new PendingRevocation(old.hash(), now.plus(config.rotationGrace()).toString(), reason,
                oldLimit == null ? null : oldLimit.toPlainString(),
                Money.cents(old.usage()).toPlainString(), Money.cents(old.usageInPeriod()).toPlainString());
        pending.add(disableOld && !old.disabled() ? entry.disabledByOperator() : entry);
        status.setPendingRevocations(pending);
        // recorded first, with this reconcile's resourceVersion: a stale operator gets a conflict before it touches a key
        writeStatus(client, context, new MaiClientStatus(status));
        if (disableOld) {
            lifecycle.disable(client, managementKey, outgoing, "it has no share of the budget left during the rotation's overlap");
        } else if (oldLimit != null && !Money.sameCents(oldLimit, old.limit())) {
            lifecycle.limitTo(client, managementKey, outgoing, oldLimit, "keeps " + Money.format(Optional.of(share))
                    + " of the budget until the consumers have switched to the new key");
        }
        NewKey created = createAndStore(client, context, managementKey, source, secret, status, now);
        String why = PendingRevocation.REQUESTED.equals(reason) ? "asked for with " + Labels.ROTATE
                : "spec.rotation.every " + client.getSpec().getRotation().getEvery();
        events.normal(client, Events.KEY_ROTATED, "Rotated the OpenRouter key (" + why + "): " + created.key().info().label()
                + " replaces " + old.label() + ", which is deleted once every consumer has rolled out the new key");
        metrics.rotated(reason);
        return created;
    }

    /**
     * The spec changed while old keys wait for their consumers: the brake ({@code disableKey}) covers
     * them too, and when their shares no longer fit the spec's limit (lowered, or set where there was
     * none) they are frozen at what they spent, so all keys together stay within it.
     */
    private List<PendingRevocation> restrain(MaiClient client, ApiKey managementKey, MaiClientStatus status,
            List<PendingRevocation> waiting, Instant now) {
        boolean brake = Boolean.TRUE.equals(client.getSpec().getDisableKey());
        Optional<BigDecimal> limit = Money.limit(client.getSpec().getSpendingLimit());
        // a replaced key (FORCED) was frozen at its spend when it was replaced, and that spend is carried:
        // it has no reservation to clamp, and reserving its spend again would count it twice
        boolean over = limit.isPresent() && (waiting.stream().anyMatch(r -> r.getReservedInPeriod() == null && !forced(r))
                || Budget.committedInPeriod(status, clocks(now)).compareTo(limit.get()) > 0);
        if (!brake && !over) {
            return waiting;
        }
        List<PendingRevocation> out = new ArrayList<>();
        for (PendingRevocation r : waiting) {
            if (forced(r) && r.getReservedInPeriod() == null && (!brake || Boolean.TRUE.equals(r.getDisabledByOperator()))) {
                out.add(r); // frozen already; only the brake has something to add (disabling it)
                continue;
            }
            Optional<KeyLifecycle.Owned> old = lifecycle.prove(client, managementKey, r.getHash()).key();
            if (old.isEmpty()) {
                out.add(r);
                continue;
            }
            KeyPatch patch = new KeyPatch();
            String reserved = r.getReservedInPeriod();
            boolean disable = brake;
            if (over && !(forced(r) && r.getReservedInPeriod() == null)) {
                BigDecimal spent = Money.cents(old.get().info().usageInPeriod());
                if (Budget.nothingLeft(spent)) {
                    disable = true; // frozen at a spend of nothing: disabled, never limited to 0
                } else if (old.get().info().limit() == null || Money.cents(old.get().info().limit()).compareTo(spent) != 0) {
                    patch.limit(spent); // only when it differs: a clamp in place is not sent again
                }
                reserved = spent.toPlainString();
            }
            boolean disabledNow = disable && !old.get().info().disabled();
            if (disabledNow) {
                patch.disabled(true);
            }
            lifecycle.update(client, managementKey, old.get(), patch, "the spec changed during the rotation");
            PendingRevocation restrained = new PendingRevocation(r.getHash(), r.getNotAfter(), r.getReason(), reserved, r.getUsage(),
                    r.getUsageInPeriod());
            out.add(disabledNow || Boolean.TRUE.equals(r.getDisabledByOperator()) ? restrained.disabledByOperator() : restrained);
        }
        return out;
    }

    private static boolean forced(PendingRevocation r) {
        return PendingRevocation.FORCED.equals(r.getReason());
    }

    /**
     * Carries what an overlapping old key spent, read just before it is deleted (its reservation
     * ends with it); a key already gone counts as having spent its whole share.
     */
    private void settle(MaiClient client, ApiKey managementKey, MaiClientStatus status, PendingRevocation r, Instant now) {
        // only this client's own key's figures count: a hash in status is a claim, its figures could be anyone's
        Optional<KeyInfo> last = lifecycle.prove(client, managementKey, r.getHash()).key().map(KeyLifecycle.Owned::info);
        BigDecimal atStart = decimal(r.getUsage());
        BigDecimal share = decimal(r.getReservedInPeriod()).subtract(decimal(r.getUsageInPeriod())).max(BigDecimal.ZERO);
        BigDecimal usage = last.map(KeyInfo::usage).orElse(atStart.add(share));
        BigDecimal inPeriod = last.map(KeyInfo::usageInPeriod)
                .orElse(decimal(r.getReservedInPeriod() != null ? r.getReservedInPeriod() : r.getUsageInPeriod()));
        Budget.retire(status, usage.subtract(atStart), inPeriod, client.getSpec().getLimitReset(), clocks(now));
    }

    /**
     * A rotation whose new key never got stored (its create was undone) leaves the current key listed
     * as pending: it stays the client's key, and what the rotation's start carried is taken back.
     * Returns true when there was such an entry (the key's limit must be brought back on a fresh read).
     */
    private static boolean keepCurrent(MaiClientStatus status, String hash) {
        List<PendingRevocation> pending = Optional.ofNullable(status.getPendingRevocations()).orElse(List.of());
        List<PendingRevocation> current = pending.stream().filter(r -> r.getHash().equals(hash)).toList();
        if (current.isEmpty()) {
            return false;
        }
        for (PendingRevocation r : current) {
            if (PendingRevocation.REQUESTED.equals(r.getReason())) {
                status.setRotationRequest(null); // the request was not carried out: it stands
            }
            if (r.getUsage() != null && status.getCarriedUsage() != null) {
                status.setCarriedUsage(Money.cents(new BigDecimal(status.getCarriedUsage()).subtract(new BigDecimal(r.getUsage()))
                        .max(BigDecimal.ZERO)).toPlainString());
            }
        }
        status.setPendingRevocations(pending.stream().filter(r -> !r.getHash().equals(hash)).toList());
        return true;
    }

    private PendingRevocation forced(String hash, Instant now) {
        return new PendingRevocation(hash, now.plus(config.rotationGrace()).toString(), PendingRevocation.FORCED, null, null, null);
    }

    /** How long until {@code at} (a second past it), at most one validation interval: a clock that jumps is noticed. */
    private Duration until(Instant at, Instant now) {
        Duration d = Duration.between(now, at).plusSeconds(1);
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            d = Duration.ofSeconds(1);
        }
        return d.compareTo(config.validationInterval()) > 0 ? config.validationInterval() : d;
    }

    private static String annotation(MaiClient client, String name) {
        return Optional.ofNullable(client.getMetadata().getAnnotations()).orElse(Map.of()).get(name);
    }

    private static boolean hasMessage(MaiClientStatus status, String type, String message) {
        return Conditions.find(status, type).map(c -> message.equals(c.getMessage())).orElse(false);
    }

    /**
     * A new key OpenRouter does not accept yet: it may take a moment to propagate. KeyValid stays
     * Unknown and is checked again shortly; past {@link #KeyRules.PROPAGATION} it is reported False.
     */
    private Duration awaitNewKey(MaiClient client, MaiClientStatus status, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        Instant created = parseInstant(status.getKeyCreatedAt()).orElse(now);
        if (Duration.between(created, now).compareTo(KeyRules.PROPAGATION) < 0) {
            Conditions.set(status, KEY_VALID, UNKNOWN, Reason.KEY_NOT_ACCEPTED_YET, "OpenRouter does not accept key "
                    + status.getKeyLabel() + " yet (GET /key answers 401); a new key can take a moment to propagate",
                    generation, now);
            return PROPAGATION_RECHECK;
        }
        Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_NOT_ACCEPTED_YET, "OpenRouter lists key " + status.getKeyLabel()
                + " as enabled but does not accept it (GET /key answers 401), although it was created at "
                + status.getKeyCreatedAt() + "; checked again every " + SLOW_PROPAGATION_RECHECK.toSeconds() + "s", generation, now);
        return SLOW_PROPAGATION_RECHECK;
    }

    /**
     * Deletes keys of this MaiClient that the sweep found held by nothing for the orphan grace
     * period — after a fresh read of the MaiClient and its Secret confirms that neither holds them.
     */
    private void collectOrphans(MaiClient client, Context<MaiClient> context, ApiKey managementKey, Set<String> orphans) {
        MaiClient live = context.getClient().resource(client).get();
        if (live == null || live.getStatus() == null || live.getStatus().getKeyCreationStartedAt() != null) {
            return;
        }
        Set<String> held = new HashSet<>();
        Optional.ofNullable(live.getStatus().getKeyHash()).ifPresent(held::add);
        Optional.ofNullable(live.getStatus().getPendingRevocations()).orElse(List.of()).forEach(r -> held.add(r.getHash()));
        findSecret(live, context, Names.secretName(live), true)
                .flatMap(s -> EnvSecret.stored(s, live.getMetadata().getUid(), null, digestKey.get())).ifPresent(k -> held.add(k.hash()));
        for (String orphan : orphans) {
            if (!held.contains(orphan)) {
                lifecycle.revoke(client, managementKey, orphan, Events.ORPHAN_KEY_REVOKED,
                        "because neither the Secret nor the status of this MaiClient holds it");
            }
        }
        sweep().ifPresent(s -> s.orphansCollected(client));
    }

    /**
     * Carries the figures of a key being replaced into status (budget-safe replacement): frozen when a
     * fresh read proved it this client's ({@code owned}), else its last figures in status (which lag by
     * less than $1 or 1%). Once only: a retry finds the key among the pending revocations the first
     * attempt recorded.
     */
    private void retire(MaiClient client, ApiKey managementKey, MaiClientStatus before, MaiClientStatus status, String old,
            Optional<KeyLifecycle.Owned> owned, Instant now) {
        if (Optional.ofNullable(before.getPendingRevocations()).orElse(List.of()).stream().anyMatch(r -> old.equals(r.getHash()))) {
            return;
        }
        BigDecimal usage;
        BigDecimal inPeriod;
        boolean disabledNow = false;
        if (owned.isPresent()) {
            KeyInfo frozen = lifecycle.freeze(client, managementKey, owned.get());
            disabledNow = frozen.disabled() && !owned.get().info().disabled();
            usage = frozen.usage();
            inPeriod = frozen.usageInPeriod();
        } else {
            usage = decimal(before.getUsage()).subtract(decimal(before.getCarriedUsage()));
            inPeriod = decimal(before.getUsageInPeriod()).subtract(Budget.carriedInPeriod(before, clocks(now)));
        }
        Budget.retire(status, usage, inPeriod, client.getSpec().getLimitReset(), clocks(now));
        List<PendingRevocation> pending = new ArrayList<>(Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()));
        if (pending.stream().noneMatch(r -> old.equals(r.getHash()))) {
            pending.add(forced(old, now));
        }
        if (disabledNow) {
            // the freeze disabled it (nothing left to spend): say so in its entry
            pending.replaceAll(r -> old.equals(r.getHash()) ? r.disabledByOperator() : r);
        }
        status.setPendingRevocations(pending);
    }

    private static BigDecimal decimal(String amount) {
        return amount == null ? BigDecimal.ZERO : new BigDecimal(amount);
    }

    /** True while the current key is within its propagation window. */
    private static boolean young(MaiClientStatus status, MaiClientStatus before, Instant now) {
        String created = Optional.ofNullable(status.getKeyCreatedAt()).orElse(before.getKeyCreatedAt());
        return parseInstant(created).map(c -> Duration.between(c, now).compareTo(KeyRules.PROPAGATION) < 0).orElse(true);
    }

    private static boolean hasReason(MaiClientStatus status, String type, String reason) {
        return Conditions.find(status, type).map(c -> reason.equals(c.getReason())).orElse(false);
    }

    /** True when the sweep's view calls for a fresh read: something to patch, or a disabled state status does not show. */
    private static boolean differs(KeyRules.Plan plan, boolean knownDisabledOutside) {
        return !plan.patch().isEmpty() || plan.disabledOutside() != knownDisabledOutside;
    }

    private static Optional<Instant> parseInstant(String timestamp) {
        try {
            return Optional.ofNullable(timestamp).map(t -> java.time.OffsetDateTime.parse(t).toInstant());
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private Optional<KeySweep> sweep() {
        return Optional.ofNullable(sweep);
    }

    /** A key just created and the Secret that now holds it. */
    private record NewKey(CreatedKey key, KeyLifecycle.Owned owned, Secret secret) {
    }

    /**
     * Records the intent, creates the key and stores it at once: the plaintext exists only in
     * OpenRouter's answer. If the Secret cannot be written the new key is deleted again; if even that
     * fails, the intent left in status makes the next reconcile find and delete it.
     */
    private NewKey createAndStore(MaiClient client, Context<MaiClient> context, ApiKey managementKey, ProvisioningKeyRef source,
            Optional<Secret> actual, MaiClientStatus status, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        Optional<Instant> refusedAt = Conditions.find(status, SECRET_SYNCED)
                .filter(c -> Reason.SECRET_WRITE_FAILED.equals(c.getReason()) && Objects.equals(c.getObservedGeneration(), generation))
                .flatMap(c -> parseInstant(c.getLastTransitionTime()));
        if (refusedAt.isPresent() && now.isBefore(refusedAt.get().plus(SLOW_RETRY))) {
            // the API server refused this Secret for this spec a moment ago: another key would only be made
            // and deleted again; try again after the slow retry, or at once when the spec changes
            throw new SecretRefused(Names.secretName(client), null, new MaiClientStatus(status));
        }
        dryRunSecret(client, context, actual, status, now);
        status.setKeyCreationStartedAt(now.toString());
        status.setProvisioningKeySecretRef(source); // the account the new key will live on
        status.setRotationRequest(annotation(client, Labels.ROTATE)); // a fresh key answers any rotation asked so far
        Conditions.initialise(status, generation, now);
        recordIntent(client, context, status);

        KeyLifecycle.Minted minted;
        try {
            minted = lifecycle.create(client, managementKey, Budget.committedInPeriod(status, clocks(now)));
        } catch (OpenRouterException e) {
            if (!e.retryable()) {
                status.setKeyCreationStartedAt(null); // a definite refusal: OpenRouter created nothing
            }
            throw e;
        }
        CreatedKey created = minted.created();
        MaiClientStatus recorded = new MaiClientStatus(status);
        status.setKeyHash(created.info().hash());
        status.setKeyLabel(created.info().label());
        // the operator's clock, which every time decision uses (rotation schedule, propagation window)
        status.setKeyCreatedAt(now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        try {
            Secret written = writeSecret(client, context, actual, desiredSecret(client, created.key(), status));
            status.setKeyCreationStartedAt(null); // stored: the create is finished
            return new NewKey(created, minted.owned(), written);
        } catch (KubernetesClientException | SecretRefused e) {
            int code = e instanceof KubernetesClientException k ? k.getCode()
                    : ((SecretRefused) e).cause().map(KubernetesClientException::getCode).orElse(0);
            // the write may have happened after all (a retried request answered by a conflict): the Secret decides
            String name = Names.secretName(client);
            Optional<Secret> stored;
            try {
                stored = findSecret(client, context, name, true)
                        .filter(s -> EnvSecret.stored(s, client.getMetadata().getUid(), null, digestKey.get())
                                .map(k -> k.hash().equals(created.info().hash())).orElse(false));
            } catch (SecretConflict conflict) {
                stored = Optional.empty(); // someone else's Secret took the name meanwhile: the new key is nobody's
            }
            if (stored.isPresent()) {
                status.setKeyCreationStartedAt(null);
                return new NewKey(created, minted.owned(), stored.get());
            }
            try {
                lifecycle.revoke(client, managementKey, created.info().hash(), Events.ORPHAN_KEY_REVOKED,
                        "because its Secret could not be written (HTTP " + code + ")");
                // the create is resolved: no need for the next reconcile to look for its key
                recorded.setKeyCreationStartedAt(null);
                writeStatus(client, context, recorded);
            } catch (OpenRouterException | KubernetesClientException revokeFailed) {
                LOG.warnf("new key %s of %s/%s is left for the next reconcile to delete: %s", created.info().hash(),
                        client.getMetadata().getNamespace(), client.getMetadata().getName(), revokeFailed.getMessage());
                throw e;
            }
            if (e instanceof SecretRefused refused) {
                throw refused.after(recorded); // reported in status, retried slowly: no key made and deleted per retry
            }
            throw e;
        }
    }

    /** Stand-ins of a key's and its hash's shape and size for the dry run below; the API server stores nothing of them. */
    private static final ApiKey DRY_RUN_KEY = ApiKey.of("sk-or-v1-" + "0".repeat(64));
    private static final String DRY_RUN_HASH = "f".repeat(64);

    /**
     * Asks the API server whether it would take the Secret a new key is about to go into, before the
     * key is made: a server-side dry run passes authorisation, quota, admission and validation and
     * stores nothing. A refusal ends the reconcile with no key made (SecretWriteFailed). An admission
     * webhook that cannot take dry runs, a conflict or a server error leave the judgement to the real
     * write, which deletes its new key again when it is refused.
     */
    private void dryRunSecret(MaiClient client, Context<MaiClient> context, Optional<Secret> actual, MaiClientStatus status,
            Instant now) {
        MaiClientStatus probe = new MaiClientStatus(status);
        probe.setKeyHash(DRY_RUN_HASH);
        probe.setKeyCreatedAt(now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        Secret desired = desiredSecret(client, DRY_RUN_KEY, probe);
        var secrets = context.getClient().secrets().inNamespace(client.getMetadata().getNamespace());
        try {
            if (actual.isEmpty()) {
                secrets.resource(desired).dryRun().create();
            } else {
                secrets.resource(EnvSecret.merge(actual.get(), desired)).dryRun().update();
            }
        } catch (KubernetesClientException e) {
            if (SecretRefused.refusal(e) && !SecretRefused.dryRunUnsupported(e)) {
                throw new SecretRefused(desired.getMetadata().getName(), e, new MaiClientStatus(status), false, desired);
            }
            LOG.debugf("dry run of Secret %s/%s inconclusive (HTTP %d); the write will tell", client.getMetadata().getNamespace(),
                    desired.getMetadata().getName(), e.getCode());
        }
    }

    /**
     * Writes the status before a create, with the resourceVersion this reconcile read: a stale or
     * deposed operator gets a conflict here, before it can create anything.
     */
    private static void recordIntent(MaiClient client, Context<MaiClient> context, MaiClientStatus status) {
        writeStatus(client, context, new MaiClientStatus(status));
    }

    /**
     * Writes the status when it differs from what the reconcile started from: a whole-status update,
     * so no field the reconcile cleared can survive on the server.
     */
    private UpdateControl<MaiClient> commit(MaiClient client, Context<MaiClient> context, MaiClientStatus before,
            MaiClientStatus status) {
        if (!status.equals(before)) {
            writeStatus(client, context, status);
        }
        metrics.record(client, status);
        return UpdateControl.noUpdate();
    }

    /**
     * Updates the status with optimistic locking on the version this reconcile knows: the one it
     * read, or the one its own earlier write returned (kept on the reconcile's copy of the resource).
     * Anyone else's write in between — a stale or second operator — makes this fail with a conflict
     * and the reconcile start over, instead of overwriting an intent or a key still to revoke.
     */
    private static void writeStatus(MaiClient client, Context<MaiClient> context, MaiClientStatus status) {
        MaiClient copy = new MaiClient();
        copy.setMetadata(new ObjectMetaBuilder(client.getMetadata()).build());
        copy.setSpec(client.getSpec());
        copy.setStatus(status);
        MaiClient written = context.resourceOperations().updatePrimaryStatus(copy);
        client.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
    }

    /** The operator's clock and OpenRouter's (the Date of its latest answer) as they stand now: resets are judged on both. */
    private Budget.Clocks clocks(Instant now) {
        return new Budget.Clocks(now, lifecycle.openRouterTime());
    }

    /**
     * How long until a period boundary has passed on both clocks (plus the margin), at least a
     * second and at most one validation interval; without OpenRouter's clock, one validation interval.
     */
    private Duration untilReset(Instant boundary, Instant now) {
        Budget.Clocks clocks = clocks(now);
        if (clocks.openRouter().isEmpty()) {
            return config.validationInterval();
        }
        return until(now.plus(clocks.untilPassed(boundary)), now);
    }

    /** When the replaced keys' spend stops counting, as status messages put it. */
    /** "; raise spec.spendingLimit {@code what}" when the limit resets (else {@link #resetsAt} says so already). */
    private static String orRaise(MaiClientStatus status, String what) {
        return status.getCarriedUntil() == null && status.getNextLimitResetAt() == null ? "" : "; raise spec.spendingLimit " + what;
    }

    private static String resetsAt(MaiClientStatus status) {
        String at = Optional.ofNullable(status.getCarriedUntil()).orElse(status.getNextLimitResetAt());
        return at == null ? "spec.spendingLimit is raised (the limit does not reset)"
                : "the limit resets at " + at + " (judged on both the operator's and OpenRouter's clock, plus "
                        + Budget.RESET_MARGIN.toMinutes() + " minutes)";
    }

    /**
     * The client needs a new key but its period's budget is used up by the keys it replaces: nothing
     * is created (a key with a limit of 0 is never asked for). KeyProvisioned and KeyValid say
     * LimitExhausted and when the period resets; the reconcile comes back then and creates the key.
     */
    private UpdateControl<MaiClient> limitExhausted(MaiClient client, Context<MaiClient> context, MaiClientStatus before,
            MaiClientStatus status, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        String message = "The period's budget of " + Money.format(Money.limit(client.getSpec().getSpendingLimit()))
                + " is used up by this client's replaced keys (" + Optional.ofNullable(status.getCarriedUsageInPeriod()).orElse("0")
                + " spent in this period): no new key is created until " + resetsAt(status) + orRaise(status, "for a key with the difference now");
        Conditions.initialise(status, generation, now);
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.LIMIT_EXHAUSTED, message, generation, now);
        Conditions.set(status, KEY_VALID, FALSE, Reason.LIMIT_EXHAUSTED, message, generation, now);
        // no key, so no Secret holds one: pods that read it by secretKeyRef do not start until there is a key
        Conditions.set(status, SECRET_SYNCED, FALSE, Reason.LIMIT_EXHAUSTED, "Secret " + Names.secretName(client)
                + " holds no usable key: no key is created until " + resetsAt(status) + orRaise(status, "for one now"), generation, now);
        Conditions.deriveReady(status, generation, now);
        warnOnChange(client, before, status, KEY_PROVISIONED);
        UpdateControl<MaiClient> done = commit(client, context, before, status);
        Optional<Instant> reset = parseInstant(status.getCarriedUntil());
        return done.rescheduleAfter(reset.map(at -> untilReset(at, now)).orElse(SLOW_RETRY));
    }

    /**
     * False when a rotation now would leave the new key nothing to spend (the old key's share and
     * spend take all that is left): the rotation waits for the period's reset instead.
     */
    private boolean rotationLeavesBudget(MaiClient client, MaiClientStatus status, KeyInfo old, Instant now) {
        Optional<BigDecimal> limit = Money.limit(client.getSpec().getSpendingLimit());
        return limit.isEmpty() || !Budget.nothingLeft(Budget.leftForOverlap(limit.get(), status, old, clocks(now)));
    }

    /**
     * Whether this operator disabled the current key ({@code status.keyDisabledByOperator}); for a
     * status an earlier version wrote, which has no such field, its KeyDisabled reason.
     */
    private static boolean disabledByOperator(MaiClientStatus before, String hash) {
        if (!Objects.equals(before.getKeyHash(), hash)) {
            return false; // another key: what status says is about the one before
        }
        if (before.getKeyDisabledByOperator() != null) {
            return before.getKeyDisabledByOperator();
        }
        return hasReason(before, KEY_VALID, Reason.KEY_DISABLED);
    }

    /** KeyValid from what OpenRouter just said about the key. */
    private void keyValidity(MaiClient client, MaiClientStatus status, KeyInfo key, boolean disabledOutside, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        if (disabledOutside) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_DISABLED_OUTSIDE,
                    "The key was disabled outside the operator and stays disabled. To keep it off set "
                            + "spec.disableKey: true; for a fresh key delete Secret " + status.getSecretName()
                            + " (a new key replaces this one, which is then deleted)",
                    generation, now);
        } else if (key.disabled() && !Boolean.TRUE.equals(client.getSpec().getDisableKey())) {
            // disabled by this operator although the spec does not brake: the period's budget is used up
            Conditions.set(status, KEY_VALID, FALSE, Reason.LIMIT_EXHAUSTED, "The period's budget of "
                    + Money.format(Money.limit(client.getSpec().getSpendingLimit())) + " is used up by this client's "
                    + "keys; the key is disabled (never given a limit of 0) until " + resetsAt(status) + ", then enabled again"
                    + orRaise(status, "to enable it now"),
                    generation, now);
        } else if (key.disabled()) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_DISABLED,
                    "The key is disabled by spec.disableKey", generation, now);
        } else if (key.limitExhausted()) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.LIMIT_EXHAUSTED, "The key has used its limit of "
                    + Money.format(Optional.ofNullable(key.limit())) + (status.getNextLimitResetAt() == null
                            ? "; it does not reset: raise spec.spendingLimit to let it spend again"
                            : " for this period; it resets at " + status.getNextLimitResetAt()), generation, now);
        } else {
            Conditions.set(status, KEY_VALID, TRUE, Reason.VALID, "The key is enabled", generation, now);
        }
    }

    private Secret desiredSecret(MaiClient client, ApiKey key, MaiClientStatus status) {
        return EnvSecret.desired(client, new Environment.Inputs(key, status.getKeyHash(), status.getKeyCreatedAt(),
                status.getExternalUser(), config.effectiveOpenrouterHost()), digestKey.get());
    }

    /** Creates or updates (optimistic-locked) the Secret, through JOSDK so the next reconcile sees the write. */
    private Secret writeSecret(MaiClient client, Context<MaiClient> context, Optional<Secret> actual, Secret desired) {
        var informer = ManagementKeys.informer(context, ENV_SECRETS, Secret.class);
        Secret written;
        try {
            written = actual.isEmpty()
                    ? context.resourceOperations().create(desired, informer)
                    : context.resourceOperations().update(EnvSecret.merge(actual.get(), desired), informer);
        } catch (KubernetesClientException e) {
            if (SecretRefused.refusal(e)) {
                throw new SecretRefused(desired.getMetadata().getName(), e, null, false, desired);
            }
            throw e;
        }
        events.normal(client, Events.SECRET_WRITTEN, "Wrote Secret " + desired.getMetadata().getName()
                + " (revision " + desired.getMetadata().getAnnotations().get(Labels.ENV_REVISION) + ")");
        return written;
    }

    /**
     * The Secret named {@code name} if this MaiClient owns it; any other Secret of that name is a
     * conflict. Read from the informer cache unless {@code fresh}; the informer sees only labelled
     * Secrets, so a miss is confirmed on the API server before anything is created.
     */
    private static Optional<Secret> findSecret(MaiClient client, Context<MaiClient> context, String name, boolean fresh) {
        String namespace = client.getMetadata().getNamespace();
        Optional<Secret> cached = Optional.empty();
        if (!fresh) {
            cached = ManagementKeys.informer(context, ENV_SECRETS, Secret.class).get(new ResourceID(name, namespace));
        }
        Secret secret = cached.orElseGet(() -> context.getClient().secrets().inNamespace(namespace).withName(name).get());
        if (secret == null) {
            return Optional.empty();
        }
        if (!ownedBy(secret, client)) {
            throw new SecretConflict("Secret " + name + " exists and is not this MaiClient's (a Secret kept by "
                    + "deletionPolicy Retain belongs to the deleted MaiClient); it is left untouched. Copy out what it holds and "
                    + "delete it, or set spec.secret.name");
        }
        return Optional.of(secret);
    }

    /** Ours: labelled by this operator for this MaiClient, and tied to it by UID (owner reference or annotation). */
    static boolean ownedBy(Secret secret, MaiClient client) {
        return Owners.ownedBy(secret, client);
    }

    /**
     * {@code spec.externalUser}, else the value in effect, else the old script's default, computed
     * once (renaming the organization keeps it). A default another MaiClient already uses is a warning.
     */
    private static final String EXTERNAL_USER_INDEX = "status.externalUser";

    private String externalUser(MaiClient client, Context<MaiClient> context, MaiClientStatus before) {
        if (client.getSpec().getExternalUser() != null) {
            return client.getSpec().getExternalUser();
        }
        if (before.getExternalUser() != null) {
            return before.getExternalUser();
        }
        String computed = Names.defaultExternalUser(client.getSpec().getOrganizationName());
        List<MaiClient> others = context.getPrimaryCache().byIndex(EXTERNAL_USER_INDEX, computed).stream()
                .filter(o -> !o.getMetadata().getUid().equals(client.getMetadata().getUid()))
                .toList();
        String namespace = client.getMetadata().getNamespace();
        if (others.stream().anyMatch(o -> namespace.equals(o.getMetadata().getNamespace()))) {
            events.warning(client, Events.EXTERNAL_USER_COLLISION, "The default external user " + computed
                    + " is already used by another MaiClient in this namespace; set spec.externalUser to tell them apart");
        } else if (!others.isEmpty()) {
            // another tenant's: the tenant may not learn that some other MaiClient has a name like its own
            // (an event would answer "is this organization a client here?"); the platform team reads the log
            LOG.warnf("the default external user of %s/%s is also used by %d MaiClient(s) in other namespaces; "
                    + "spec.externalUser tells them apart", namespace, client.getMetadata().getName(), others.size());
        }
        return computed;
    }

    /** Transient OpenRouter failures: report them while JOSDK backs off and retries. */
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
        String reason = failure.rateLimited() ? Reason.RATE_LIMITED : Reason.OPENROUTER_UNAVAILABLE;
        Conditions.initialise(status, generation, now);
        Conditions.set(status, KEY_PROVISIONED, FALSE, reason, failure.getMessage() + "; retrying with backoff", generation, now);
        Conditions.deriveReady(status, generation, now);
        if (!status.equals(before)) {
            try {
                writeStatus(client, context, status);
            } catch (KubernetesClientException writeFailed) {
                LOG.warnf("could not report %s on %s/%s: HTTP %d", reason, client.getMetadata().getNamespace(),
                        client.getMetadata().getName(), writeFailed.getCode());
            }
        }
        return ErrorStatusUpdateControl.defaultErrorProcessing();
    }

    @Override
    public DeleteControl cleanup(MaiClient client, Context<MaiClient> context) {
        try (var tenant = RequestGate.onBehalfOf(client.getMetadata().getNamespace())) {
            return release(client, context);
        }
    }

    /** The finalizer's work: the key deleted or retained on OpenRouter, the key Secret let go. */
    private DeleteControl release(MaiClient client, Context<MaiClient> context) {
        MaiClientStatus status = Optional.ofNullable(client.getStatus()).orElseGet(MaiClientStatus::new);
        String uid = client.getMetadata().getUid();
        String secretName = Optional.ofNullable(status.getSecretName()).orElse(Names.secretName(client));
        Optional<Secret> secret;
        try {
            secret = findSecret(client, context, secretName, true);
        } catch (SecretConflict notOurs) {
            secret = Optional.empty();
        }
        // a digest of an earlier version proves nothing: such a Secret names only the key status already holds
        Optional<String> inSecret = secret.flatMap(s -> EnvSecret.stored(s, uid, status.getKeyHash(), digestKey.get()))
                .filter(k -> !k.legacy() || k.hash().equals(status.getKeyHash()))
                .map(EnvSecret.Stored::hash);
        Set<String> hashes = new LinkedHashSet<>();
        inSecret.ifPresent(hashes::add);
        Optional.ofNullable(status.getKeyHash()).ifPresent(hashes::add);
        Optional.ofNullable(status.getPendingRevocations()).orElse(List.of()).forEach(r -> hashes.add(r.getHash()));
        boolean unfinished = status.getKeyCreationStartedAt() != null;
        if (hashes.isEmpty() && !unfinished) {
            releaseKeySecret(client, context, status);
            forget(client);
            return DeleteControl.defaultDelete(); // no key was ever created
        }
        Map<String, String> annotations = Optional.ofNullable(client.getMetadata().getAnnotations()).orElse(Map.of());
        if ("true".equals(annotations.get(Labels.ABANDON_KEY))) {
            // a person gave the key up: nothing is asked of OpenRouter, everything is released
            events.warning(client, Events.KEY_ABANDONED, "OpenRouter key " + Optional.ofNullable(status.getKeyLabel()).orElse("")
                    + " abandoned (" + Labels.ABANDON_KEY + "); it was not deleted on OpenRouter");
            releaseKeySecret(client, context, status);
            forget(client);
            return DeleteControl.defaultDelete();
        }
        // the key lives where it was made: resolve the management key recorded with it, not the current spec
        ManagementKeys.Resolution resolution = managementKeys.resolve(client, status.getProvisioningKeySecretRef(), context);
        if (resolution.isMissing()) {
            events.warning(client, Reason.PROVISIONING_KEY_MISSING, "Cannot release the OpenRouter key: " + resolution.missing()
                    + ". Deletion waits; to give the key up instead, set the annotation " + Labels.ABANDON_KEY + ": \"true\"");
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(MISSING_KEY_RETRY);
        }
        Optional<ApiKey> managementKey = Optional.of(resolution.key());
        boolean retain = retains(client);
        // the key to keep under Retain is the one its Secret holds: the Secret survives with it. With the
        // Secret deleted (by hand, or by a garbage collector while it still had an owner reference) nobody
        // holds the key any more: it is deleted, not left live and unmanaged. A Secret gone with its namespace
        // is another matter: the namespace controller deletes every Secret, the retained one included, often
        // before this finalizer runs, and whoever copied the Secret out first still uses the key: it is kept
        boolean secretGone = secret.isEmpty();
        boolean goneWithNamespace = retain && secretGone && status.getKeyHash() != null
                && NamespaceLifecycle.terminating(context.getClient(), client.getMetadata().getNamespace(), secretName,
                        client.getMetadata().getName());
        Optional<String> kept = !retain ? Optional.empty()
                : inSecret.or(() -> secretGone && !goneWithNamespace ? Optional.empty() : Optional.ofNullable(status.getKeyHash()));
        if (goneWithNamespace) {
            // no event can be written in a namespace being deleted: the log says it
            LOG.warnf("%s/%s: Secret %s went with its namespace; OpenRouter key %s is kept (deletionPolicy Retain) and "
                    + "marked retained. Unless the Secret was copied out first nobody holds the key: delete it in "
                    + "OpenRouter's dashboard", client.getMetadata().getNamespace(), client.getMetadata().getName(), secretName,
                    Optional.ofNullable(status.getKeyLabel()).orElse(status.getKeyHash()));
        } else if (retain && secretGone && status.getKeyHash() != null) {
            events.warning(client, Events.KEY_NOT_KEPT, "deletionPolicy is Retain, but Secret " + secretName + ", the only copy "
                    + "of the key, is gone: the key is deleted instead of kept");
        }
        try {
            if (unfinished) {
                lifecycle.collectUnfinishedCreate(client, managementKey.get(),
                        Instant.parse(status.getKeyCreationStartedAt()), kept.map(Set::of).orElse(Set.of()));
            }
            if (kept.isPresent()) {
                // rename first, release the Secret last: a retry after a failure in between still finds its Secret
                if (lifecycle.retain(client, managementKey.get(), kept.get())) {
                    metrics.retained(goneWithNamespace ? ClientMetrics.RETAINED_WITH_NAMESPACE : ClientMetrics.RETAINED_KEPT);
                }
                // this MaiClient's owner reference only: others' are theirs to keep
                secret.filter(s -> Optional.ofNullable(s.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
                                .anyMatch(o -> uid.equals(o.getUid())))
                        .ifPresent(s -> context.getClient().resource(new SecretBuilder(s).editMetadata()
                                .withOwnerReferences(s.getMetadata().getOwnerReferences().stream().filter(o -> !uid.equals(o.getUid())).toList())
                                .endMetadata().build()).update());
            }
            for (String hash : hashes) {
                if (!kept.map(hash::equals).orElse(false)) {
                    lifecycle.revoke(client, managementKey.get(), hash, Events.KEY_DELETED, "because its MaiClient was deleted");
                }
            }
        } catch (OpenRouterException e) {
            if (e.retryable()) {
                throw e;
            }
            events.warning(client, e.managementKeyRejected() ? Reason.PROVISIONING_KEY_REJECTED : Reason.OPENROUTER_REJECTED,
                    "Cannot release the OpenRouter key: " + e.getMessage() + ". Deletion waits; to give the key up instead, "
                            + "set the annotation " + Labels.ABANDON_KEY + ": \"true\"");
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(SLOW_RETRY);
        }
        releaseKeySecret(client, context, status);
        forget(client);
        return DeleteControl.defaultDelete();
    }

    private void forget(MaiClient client) {
        metrics.forget(client);
        sweep().ifPresent(s -> s.forget(client));
    }

    /** Lets go of the management-key Secret this MaiClient held. */
    private void releaseKeySecret(MaiClient client, Context<MaiClient> context, MaiClientStatus status) {
        var ref = client.getSpec() == null ? null : client.getSpec().getProvisioningKeySecretRef();
        Set<String> names = new LinkedHashSet<>();
        Optional.ofNullable(status.getProvisioningKeySecretRef()).map(r -> r.getName()).ifPresent(names::add);
        Optional.ofNullable(ref).map(r -> r.getName()).ifPresent(names::add);
        names.forEach(name -> managementKeys.release(context, client, name));
    }

    private static boolean retains(MaiClient client) {
        return Owners.retains(client);
    }

    private void warnOnChange(MaiClient client, MaiClientStatus before, MaiClientStatus after, String type) {
        var now = Conditions.find(after, type).orElse(null);
        var was = Conditions.find(before, type).orElse(null);
        if (now != null && TRUE.equals(now.getStatus()) && was != null && FALSE.equals(was.getStatus())) {
            // a sweep result that heals a condition (a limit reset, a key enabled again) is news too
            events.normal(client, now.getReason(), type + " again: " + now.getMessage() + " (was " + was.getReason() + ")");
            return;
        }
        if (now == null || !FALSE.equals(now.getStatus()) || Reason.KEY_DISABLED.equals(now.getReason())) {
            return; // a key disabled by the spec is what was asked for: its event is KeyUpdated
        }
        boolean same = Conditions.find(before, type)
                .filter(b -> Objects.equals(b.getReason(), now.getReason())
                        && Objects.equals(SweepGap.strip(b.getMessage()), SweepGap.strip(now.getMessage())))
                .isPresent();
        if (!same) {
            events.warning(client, now.getReason(), now.getMessage());
        }
    }

    /**
     * The API server refused to write the client's Secret (forbidden, invalid, over quota, refused by
     * an admission policy): something a person must fix, reported as SecretWriteFailed with what the
     * server said (a key in it scrubbed), not retried with backoff. {@code status}: what status must
     * say afterwards (a key made for the Secret was deleted again).
     */
    static final class SecretRefused extends RuntimeException {
        private final transient MaiClientStatus status;
        private final transient KubernetesClientException cause;

        SecretRefused(String name, KubernetesClientException cause, MaiClientStatus status) {
            this(name, cause, status, false, null);
        }

        /**
         * {@code keyKept}: the Secret was refused an update with the key it holds already (new values, no
         * new key). {@code sent}: the Secret sent, whose values are kept out of the server's words (an
         * admission policy may quote the object).
         */
        SecretRefused(String name, KubernetesClientException cause, MaiClientStatus status, boolean keyKept, Secret sent) {
            super(cause == null ? "" : "The API server refused to write Secret " + name + " (HTTP " + cause.getCode() + "): "
                    + ApiKey.scrub(cause.getStatus() != null && cause.getStatus().getMessage() != null
                            ? cause.getStatus().getMessage() : String.valueOf(cause.getMessage()), valuesOf(sent))
                    + (keyKept ? ". The key is kept and the Secret still holds its previous values"
                            : ". No new key is kept until the server accepts the Secret")
                    + "; tried again every " + SLOW_RETRY.toMinutes() + " minutes or when the spec changes",
                    null, false, false);
            this.status = status;
            this.cause = cause;
        }

        /** The values of a Secret sent that hold the key (the key and the .env), encoded as sent and decoded. */
        private static List<String> valuesOf(Secret sent) {
            List<String> values = new ArrayList<>();
            for (String item : List.of(Environment.API_KEY, Environment.DOTENV)) {
                Optional.ofNullable(sent).map(Secret::getData).map(d -> d.get(item)).ifPresent(encoded -> {
                    values.add(encoded);
                    try {
                        values.add(new String(java.util.Base64.getDecoder().decode(encoded), java.nio.charset.StandardCharsets.UTF_8));
                    } catch (IllegalArgumentException notBase64) {
                        // sent as it is
                    }
                });
                Optional.ofNullable(sent).map(Secret::getStringData).map(d -> d.get(item)).ifPresent(values::add);
            }
            return values;
        }

        /** 400, 403 (forbidden, quota) and 422: a retry with the same Secret gets the same answer. */
        static boolean refusal(KubernetesClientException e) {
            return e.getCode() == 400 || e.getCode() == 403 || e.getCode() == 422;
        }

        /**
         * An admission webhook without {@code sideEffects: None} makes the API server refuse every dry
         * run (400, "does not support dry run"), whatever the object: that says nothing about the write.
         */
        static boolean dryRunUnsupported(KubernetesClientException e) {
            String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
            return message != null && message.contains("does not support dry run");
        }

        SecretRefused after(MaiClientStatus recorded) {
            return new SecretRefused(this, recorded);
        }

        private SecretRefused(SecretRefused first, MaiClientStatus recorded) {
            super(first.getMessage(), null, false, false);
            this.status = recorded;
            this.cause = first.cause;
        }

        Optional<MaiClientStatus> status() {
            return Optional.ofNullable(status).map(MaiClientStatus::new);
        }

        Optional<KubernetesClientException> cause() {
            return Optional.ofNullable(cause);
        }
    }

    /** A Secret of the output name exists and is not this MaiClient's. */
    static final class SecretConflict extends RuntimeException {
        SecretConflict(String message) {
            super(message, null, false, false);
        }
    }
}
