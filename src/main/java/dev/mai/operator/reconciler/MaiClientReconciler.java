package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.FALSE;
import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.KEY_VALID;
import static dev.mai.operator.reconciler.Conditions.READY;
import static dev.mai.operator.reconciler.Conditions.SECRET_SYNCED;
import static dev.mai.operator.reconciler.Conditions.TRUE;

import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.CreatedKey;
import dev.mai.operator.openrouter.KeyInfo;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Reconciles a MaiClient in the order of SPEC section 5: validate, find the management key, find
 * the Secret, get a key (adopt the one a previous run stored, or create one), bring the key in line
 * with the spec, write the Secret, then the status. Transient OpenRouter failures are thrown and
 * retried with backoff (no attempt limit, capped at 5 minutes, so an outage of any length heals by
 * itself); failures that need a person end in status and are retried slowly.
 *
 * <p>Steady state makes no writes: OpenRouter is called only when the spec changed since the key
 * was last brought in line, and the Secret and status are written only when they differ.
 */
@ControllerConfiguration(name = MaiClientReconciler.NAME, finalizerName = MaiClient.FINALIZER)
@GradualRetry(maxAttempts = -1, initialInterval = 2_000, intervalMultiplier = 2.0, maxInterval = 300_000)
public class MaiClientReconciler implements Reconciler<MaiClient>, Cleaner<MaiClient> {

    public static final String NAME = "maiclient";
    /** How soon a failure that needs a person (bad management key, no credits, ...) is tried again. */
    static final Duration SLOW_RETRY = Duration.ofMinutes(5);
    /** How soon a missing management key is looked for again (a file may appear). */
    static final Duration MISSING_KEY_RETRY = Duration.ofMinutes(1);

    private static final Logger LOG = Logger.getLogger(MaiClientReconciler.class);

    private final KeyLifecycle lifecycle;
    private final ManagementKeys managementKeys;
    private final Events events;
    private final SpecValidator validator;
    private final MaiConfig config;
    private final Clock clock;

    public MaiClientReconciler(KeyLifecycle lifecycle, ManagementKeys managementKeys, Events events, MaiConfig config,
            Clock clock) {
        this.lifecycle = lifecycle;
        this.managementKeys = managementKeys;
        this.events = events;
        this.validator = new SpecValidator(config.maxSpendingLimit());
        this.config = config;
        this.clock = clock;
    }

    /** Secrets are watched only when they carry this operator's managed-by label; they map to their MaiClient by label. */
    @Override
    public List<EventSource<?, MaiClient>> prepareEventSources(EventSourceContext<MaiClient> context) {
        var secrets = InformerEventSourceConfiguration.from(Secret.class, MaiClient.class)
                .withLabelSelector(Labels.MANAGED_SELECTOR)
                .withSecondaryToPrimaryMapper(secret -> {
                    String owner = secret.getMetadata().getLabels() == null ? null
                            : secret.getMetadata().getLabels().get(Labels.CLIENT);
                    return owner == null ? Set.of() : Set.of(new ResourceID(owner, secret.getMetadata().getNamespace()));
                })
                .build();
        return List.of(new InformerEventSource<>(secrets, context));
    }

    @Override
    public UpdateControl<MaiClient> reconcile(MaiClient client, Context<MaiClient> context) {
        Instant now = clock.instant();
        Long generation = client.getMetadata().getGeneration();
        LOG.debugf("reconcile %s/%s generation %d", client.getMetadata().getNamespace(), client.getMetadata().getName(), generation);
        MaiClientStatus before = client.getStatus() == null ? new MaiClientStatus() : client.getStatus();
        MaiClientStatus status = new MaiClientStatus(before);
        status.setObservedGeneration(generation);

        List<SpecValidator.Violation> violations = validator.validate(client);
        if (!violations.isEmpty()) {
            return invalidSpec(client, before, status, violations, now);
        }
        Optional<ApiKey> managementKey = managementKeys.operatorWide();
        if (managementKey.isEmpty()) {
            Conditions.initialise(status, generation, now);
            Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PROVISIONING_KEY_MISSING,
                    "No management key: set MAI_PROVISIONING_KEY_FILE (or MAI_PROVISIONING_KEY) on the operator",
                    generation, now);
            Conditions.deriveReady(status, generation, now);
            warnOnChange(client, before, status, KEY_PROVISIONED);
            return write(client, before, status).rescheduleAfter(MISSING_KEY_RETRY);
        }
        try {
            return provision(client, context, managementKey.get(), before, status, now);
        } catch (OpenRouterException e) {
            if (e.retryable()) {
                throw e; // backoff in JOSDK; updateErrorStatus reports it
            }
            return needsPerson(client, before, status, e, now);
        }
    }

    private UpdateControl<MaiClient> provision(MaiClient client, Context<MaiClient> context, ApiKey managementKey,
            MaiClientStatus before, MaiClientStatus status, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        String secretName = Names.secretName(client);
        Optional<Secret> secret;
        try {
            secret = findSecret(client, context, secretName);
        } catch (SecretConflict conflict) {
            Conditions.initialise(status, generation, now);
            Conditions.set(status, SECRET_SYNCED, FALSE, Reason.SECRET_CONFLICT, conflict.getMessage(), generation, now);
            Conditions.deriveReady(status, generation, now);
            warnOnChange(client, before, status, SECRET_SYNCED);
            return write(client, before, status).rescheduleAfter(SLOW_RETRY);
        }
        // after a rename of spec.secret.name the key is still in the Secret under its old name
        Optional<Secret> previous = secret.isEmpty() && before.getSecretName() != null
                && !before.getSecretName().equals(secretName)
                        ? findOwnSecret(client, context, before.getSecretName())
                        : Optional.empty();
        Optional<Secret> keySource = secret.isPresent() ? secret : previous;

        status.setExternalUser(externalUser(client, before));
        Optional<EnvSecret.Stored> stored = keySource.flatMap(s -> EnvSecret.stored(s, client.getMetadata().getUid(), before.getKeyHash()));
        String hash = stored.map(EnvSecret.Stored::hash).orElse(null);
        Optional<ApiKey> key = stored.map(EnvSecret.Stored::key);
        // the Secret is written before the status, so it says which key is in use: this adopts the key
        // of a run that crashed between the two writes instead of minting another
        String replacedHash = before.getKeyHash() != null && !before.getKeyHash().equals(hash) ? before.getKeyHash() : null;
        String replacedWhy = replacedHash == null ? null
                : hash != null ? "a newer key is in Secret " + secretName
                : keySource.flatMap(EnvSecret::storedKey).isPresent() ? "the key in Secret " + secretName + " was changed by hand"
                : "the Secret holding it was deleted";
        KeyInfo observed = null;
        if (hash == null) {
            if (replacedHash == null && before.getExternalUser() == null) {
                // first visit: freeze the external user and report Unknown before any OpenRouter call;
                // optimistic locking makes a stale or deposed operator fail here, before it can create
                Conditions.initialise(status, generation, now);
                firstVisit(client, context, status);
            }
            CreatedKey created = lifecycle.create(client, managementKey);
            observed = created.info();
            hash = observed.hash();
            key = Optional.of(created.key());
            status.setKeyHash(hash);
            status.setKeyLabel(observed.label());
            status.setKeyCreatedAt(observed.createdAt());
            // the plaintext exists only in this answer: store it before anything else can fail
            secret = Optional.of(writeSecret(client, context, secret, desiredSecret(client, key.get(), status)));
            if (replacedHash != null) {
                // the old key's value is unrecoverable (OpenRouter shows a key once): it is replaced
                events.warning(client, Events.KEY_REPLACED, "Created OpenRouter key " + observed.label()
                        + " to replace the previous key: " + replacedWhy);
            }
        } else if (!hash.equals(before.getKeyHash())) {
            status.setKeyHash(hash);
        }

        boolean disabledOutside = false;
        if (observed != null || !Conditions.isTrueFor(before, KEY_PROVISIONED, generation)) {
            if (observed == null) {
                observed = lifecycle.read(managementKey, hash).orElse(null);
                if (observed == null) {
                    return keyGone(client, context, managementKey, secret, before, status, hash, now);
                }
                status.setKeyLabel(observed.label());
                if (status.getKeyCreatedAt() == null) {
                    status.setKeyCreatedAt(observed.createdAt());
                }
            }
            boolean disabledByOperator = Conditions.find(before, KEY_VALID)
                    .map(c -> Reason.KEY_DISABLED.equals(c.getReason())).orElse(false);
            KeyLifecycle.Sync sync = lifecycle.sync(client, managementKey, observed, disabledByOperator);
            observed = sync.key();
            disabledOutside = sync.disabledOutside();
            status.setUsage(Money.cents(observed.usage()).toPlainString());
        }

        Secret desired = desiredSecret(client, key.get(), status);
        if (secret.isEmpty() || !EnvSecret.inSync(secret.get(), desired)) {
            writeSecret(client, context, secret, desired);
        }
        status.setSecretName(secretName);
        if (previous.isPresent()) {
            context.getClient().resource(previous.get()).delete();
            events.normal(client, Events.SECRET_MOVED, "Moved the environment from Secret "
                    + previous.get().getMetadata().getName() + " to " + secretName);
        }
        if (replacedHash != null) {
            lifecycle.revoke(client, managementKey, replacedHash, Events.OLD_KEY_REVOKED, "because " + replacedWhy);
        }

        Conditions.initialise(status, generation, now);
        Conditions.set(status, KEY_PROVISIONED, TRUE, Reason.PROVISIONED,
                "OpenRouter key " + status.getKeyLabel() + " matches the spec", generation, now);
        Conditions.set(status, SECRET_SYNCED, TRUE, Reason.SYNCED,
                "Secret " + secretName + " holds the current values", generation, now);
        if (observed != null) {
            keyValidity(client, status, observed, disabledOutside, now);
        }
        Conditions.deriveReady(status, generation, now);
        warnOnChange(client, before, status, KEY_VALID);
        return write(client, before, status);
    }

    /** KeyValid from what OpenRouter just said about the key. */
    private void keyValidity(MaiClient client, MaiClientStatus status, KeyInfo key, boolean disabledOutside, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        if (disabledOutside) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_DISABLED_OUTSIDE,
                    "The key was disabled outside the operator and stays disabled. To keep it off set "
                            + "spec.disableKey: true; for a fresh key set the annotation mai.dev/rotate to a new value",
                    generation, now);
        } else if (key.disabled()) {
            Conditions.set(status, KEY_VALID, FALSE, Reason.KEY_DISABLED,
                    "The key is disabled by spec.disableKey", generation, now);
        } else {
            Conditions.set(status, KEY_VALID, TRUE, Reason.VALID, "The key is enabled", generation, now);
        }
    }

    /** OpenRouter no longer has the key the Secret holds: a new one replaces it, the Secret follows. */
    private UpdateControl<MaiClient> keyGone(MaiClient client, Context<MaiClient> context, ApiKey managementKey,
            Optional<Secret> secret, MaiClientStatus before, MaiClientStatus status, String goneHash, Instant now) {
        LOG.infof("OpenRouter key %s of %s/%s is gone; creating a replacement", goneHash,
                client.getMetadata().getNamespace(), client.getMetadata().getName());
        CreatedKey created = lifecycle.create(client, managementKey);
        status.setKeyHash(created.info().hash());
        status.setKeyLabel(created.info().label());
        status.setKeyCreatedAt(created.info().createdAt());
        writeSecret(client, context, secret, desiredSecret(client, created.key(), status));
        events.warning(client, Events.KEY_REPLACED, "OpenRouter key " + goneHash.substring(0, 12)
                + "... no longer exists; created " + created.info().label() + " in its place");
        // the settings of the new key (e.g. disableKey) are brought in line on the next pass
        Conditions.set(status, KEY_PROVISIONED, FALSE, Reason.PENDING, "Replacement key created", client.getMetadata().getGeneration(), now);
        Conditions.deriveReady(status, client.getMetadata().getGeneration(), now);
        return write(client, before, status).rescheduleAfter(Duration.ofSeconds(1));
    }

    private Secret desiredSecret(MaiClient client, ApiKey key, MaiClientStatus status) {
        return EnvSecret.desired(client, new EnvSecret.Inputs(key, status.getKeyHash(), status.getKeyCreatedAt(),
                status.getExternalUser(), config.effectiveOpenrouterHost()));
    }

    /** Creates or updates (optimistic-locked) the Secret, through JOSDK so the next reconcile sees the write. */
    private Secret writeSecret(MaiClient client, Context<MaiClient> context, Optional<Secret> actual, Secret desired) {
        Secret written = actual.isEmpty()
                ? context.resourceOperations().create(desired)
                : context.resourceOperations().update(EnvSecret.merge(actual.get(), desired));
        events.normal(client, Events.SECRET_WRITTEN, "Wrote Secret " + desired.getMetadata().getName()
                + " (revision " + desired.getMetadata().getAnnotations().get(Labels.ENV_REVISION) + ")");
        return written;
    }

    /**
     * Writes the first status with the resourceVersion this reconcile read (optimistic locking). The
     * answer goes into JOSDK's cache and is not touched here; the reconcile goes on with its own copy.
     */
    private static void firstVisit(MaiClient client, Context<MaiClient> context, MaiClientStatus status) {
        MaiClient copy = new MaiClient();
        copy.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder(client.getMetadata()).build());
        copy.setSpec(client.getSpec());
        copy.setStatus(new MaiClientStatus(status));
        context.resourceOperations().updatePrimaryStatus(copy);
    }

    /** The Secret named {@code name} if this MaiClient owns it; a foreign one is a conflict. */
    private Optional<Secret> findSecret(MaiClient client, Context<MaiClient> context, String name) {
        String namespace = client.getMetadata().getNamespace();
        @SuppressWarnings("unchecked")
        var informer = (InformerEventSource<Secret, MaiClient>) context.eventSourceRetriever().getEventSourceFor(Secret.class);
        Optional<Secret> cached = informer.get(new ResourceID(name, namespace));
        // the informer sees only labelled Secrets: a miss is confirmed on the API server, so that a
        // foreign Secret of that name is found before a key is created for it
        Secret secret = cached.orElseGet(() -> context.getClient().secrets().inNamespace(namespace).withName(name).get());
        if (secret == null) {
            return Optional.empty();
        }
        if (!ownedBy(secret, client)) {
            throw new SecretConflict("Secret " + name + " exists and was not created by mai-operator for this MaiClient; "
                    + "it is left untouched. Delete or rename it, or set spec.secret.name");
        }
        return Optional.of(secret);
    }

    private Optional<Secret> findOwnSecret(MaiClient client, Context<MaiClient> context, String name) {
        try {
            return findSecret(client, context, name);
        } catch (SecretConflict e) {
            return Optional.empty();
        }
    }

    /**
     * Ours: labelled by this operator for this MaiClient's name, and controlled by this MaiClient or
     * by nothing (a Secret retained by a deleted MaiClient of the same name is adopted with its key).
     */
    static boolean ownedBy(Secret secret, MaiClient client) {
        Map<String, String> labels = Optional.ofNullable(secret.getMetadata().getLabels()).orElse(Map.of());
        if (!Labels.MANAGED_BY_VALUE.equals(labels.get(Labels.MANAGED_BY))
                || !client.getMetadata().getName().equals(labels.get(Labels.CLIENT))) {
            return false;
        }
        return Optional.ofNullable(secret.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
                .filter(o -> Boolean.TRUE.equals(o.getController()))
                .allMatch(o -> o.getUid().equals(client.getMetadata().getUid()));
    }

    private static String externalUser(MaiClient client, MaiClientStatus before) {
        if (client.getSpec().getExternalUser() != null) {
            return client.getSpec().getExternalUser();
        }
        if (before.getExternalUser() != null) {
            return before.getExternalUser(); // computed once and frozen: renaming the organization keeps it
        }
        return Names.defaultExternalUser(client.getSpec().getOrganizationName());
    }

    private static String annotation(Secret secret, String name) {
        return secret.getMetadata().getAnnotations() == null ? null : secret.getMetadata().getAnnotations().get(name);
    }

    private UpdateControl<MaiClient> invalidSpec(MaiClient client, MaiClientStatus before, MaiClientStatus status,
            List<SpecValidator.Violation> violations, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        String message = "Invalid spec: " + violations.stream().map(Object::toString).collect(Collectors.joining("; "));
        Conditions.initialise(status, generation, now);
        Conditions.set(status, READY, FALSE, Reason.INVALID_SPEC, message, generation, now);
        warnOnChange(client, before, status, READY);
        return write(client, before, status);
    }

    private UpdateControl<MaiClient> needsPerson(MaiClient client, MaiClientStatus before, MaiClientStatus status,
            OpenRouterException e, Instant now) {
        Long generation = client.getMetadata().getGeneration();
        String reason = e.managementKeyRejected() ? Reason.PROVISIONING_KEY_REJECTED
                : e.insufficientCredits() ? Reason.INSUFFICIENT_CREDITS : Reason.OPENROUTER_REJECTED;
        Conditions.initialise(status, generation, now);
        Conditions.set(status, KEY_PROVISIONED, FALSE, reason, e.getMessage(), generation, now);
        Conditions.deriveReady(status, generation, now);
        warnOnChange(client, before, status, KEY_PROVISIONED);
        return write(client, before, status).rescheduleAfter(SLOW_RETRY);
    }

    /** Transient OpenRouter failures: report them while JOSDK backs off and retries. */
    @Override
    public ErrorStatusUpdateControl<MaiClient> updateErrorStatus(MaiClient client, Context<MaiClient> context, Exception e) {
        if (!(e instanceof OpenRouterException failure)) {
            return ErrorStatusUpdateControl.defaultErrorProcessing();
        }
        Instant now = clock.instant();
        Long generation = client.getMetadata().getGeneration();
        MaiClientStatus before = client.getStatus() == null ? new MaiClientStatus() : client.getStatus();
        MaiClientStatus status = new MaiClientStatus(before);
        String reason = failure.rateLimited() ? Reason.RATE_LIMITED : Reason.OPENROUTER_UNAVAILABLE;
        Conditions.initialise(status, generation, now);
        Conditions.set(status, KEY_PROVISIONED, FALSE, reason, failure.getMessage() + "; retrying with backoff", generation, now);
        Conditions.deriveReady(status, generation, now);
        if (status.equals(before)) {
            return ErrorStatusUpdateControl.defaultErrorProcessing();
        }
        client.setStatus(status);
        return ErrorStatusUpdateControl.patchStatus(client);
    }

    @Override
    public DeleteControl cleanup(MaiClient client, Context<MaiClient> context) {
        MaiClientStatus status = Optional.ofNullable(client.getStatus()).orElseGet(MaiClientStatus::new);
        String secretName = Optional.ofNullable(status.getSecretName()).orElse(Names.secretName(client));
        Optional<Secret> secret = findOwnSecret(client, context, secretName);
        String hash = Optional.ofNullable(status.getKeyHash())
                .or(() -> secret.map(s -> annotation(s, Labels.KEY_HASH))).orElse(null);
        if (hash == null) {
            return DeleteControl.defaultDelete(); // no key was ever created
        }
        Optional<ApiKey> managementKey = managementKeys.operatorWide();
        if (managementKey.isEmpty()) {
            events.warning(client, Reason.PROVISIONING_KEY_MISSING,
                    "Cannot release the OpenRouter key without a management key; deletion waits");
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(MISSING_KEY_RETRY);
        }
        if (retains(client)) {
            secret.filter(s -> s.getMetadata().getOwnerReferences() != null && !s.getMetadata().getOwnerReferences().isEmpty())
                    .ifPresent(s -> context.getClient().resource(new SecretBuilder(s)
                            .editMetadata().withOwnerReferences(List.of()).endMetadata().build()).update());
            lifecycle.retain(client, managementKey.get(), hash);
        } else {
            lifecycle.revoke(client, managementKey.get(), hash, Events.KEY_DELETED, "because its MaiClient was deleted");
        }
        return DeleteControl.defaultDelete();
    }

    /**
     * Retain unless the policy says Delete (or is absent, the default). An unreadable policy keeps
     * the key: a value nobody meant should never destroy a credential.
     */
    private static boolean retains(MaiClient client) {
        String policy = client.getSpec() == null ? null : client.getSpec().getDeletionPolicy();
        return policy != null && !"Delete".equals(policy);
    }

    private void warnOnChange(MaiClient client, MaiClientStatus before, MaiClientStatus after, String type) {
        var now = Conditions.find(after, type).orElse(null);
        if (now == null || !FALSE.equals(now.getStatus()) || Reason.KEY_DISABLED.equals(now.getReason())) {
            return; // a key disabled by the spec is what was asked for: its event is KeyUpdated
        }
        boolean same = Conditions.find(before, type)
                .filter(b -> Objects.equals(b.getReason(), now.getReason()) && Objects.equals(b.getMessage(), now.getMessage()))
                .isPresent();
        if (!same) {
            events.warning(client, now.getReason(), now.getMessage());
        }
    }

    private static UpdateControl<MaiClient> write(MaiClient client, MaiClientStatus before, MaiClientStatus status) {
        if (status.equals(before)) {
            return UpdateControl.noUpdate();
        }
        client.setStatus(status);
        return UpdateControl.patchStatus(client);
    }

    /** A Secret of the output name exists and is not this MaiClient's. */
    static final class SecretConflict extends RuntimeException {
        SecretConflict(String message) {
            super(message, null, false, false);
        }
    }
}
