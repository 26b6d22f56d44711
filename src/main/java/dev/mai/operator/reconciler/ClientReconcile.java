package dev.mai.operator.reconciler;

import static dev.mai.operator.reconciler.Conditions.KEY_PROVISIONED;
import static dev.mai.operator.reconciler.Conditions.READY;
import static dev.mai.operator.reconciler.Conditions.SECRET_SYNCED;

import dev.mai.operator.api.v1alpha1.Labels;
import dev.mai.operator.api.v1alpha1.MaiClient;
import dev.mai.operator.api.v1alpha1.MaiClientStatus;
import dev.mai.operator.api.v1alpha1.ProvisioningKeyRef;
import dev.mai.operator.config.MaiConfig;
import dev.mai.operator.core.AppPolicy;
import dev.mai.operator.api.v1alpha1.MaiClientSpec;
import dev.mai.operator.core.SpecValidator;
import dev.mai.operator.core.SpendingCaps;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.math.BigDecimal;
import java.util.ArrayList;
import dev.mai.operator.ha.InstallationId;
import dev.mai.operator.openrouter.ApiKey;
import dev.mai.operator.openrouter.OpenRouterException;
import dev.mai.operator.reconciler.Conditions.Reason;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * One reconcile of a MaiClient: validate the spec; find the management key; a paused client ends
 * there ({@link Pause}: the brakes and the status only); hold a finalizer on
 * the management-key Secret while it is in use (let go of the one used before once the key is known
 * under the new one); refuse a management key of another account than the key's; take the client
 * over from another installation when a person asked; then {@link KeyFlow} (the Secret, the key,
 * OpenRouter, the consumers, old keys and the status). Failures that need a person end in status and
 * are retried slowly; transient OpenRouter failures are thrown (JOSDK retries them with backoff).
 */
@Singleton // made with the controller, not on first use: a bad MAI_APP_ALLOWED_IMAGES entry stops the start
public class ClientReconcile {

    private final SpecValidator validator;
    private final ManagementKeys managementKeys;
    private final KeyLifecycle lifecycle;
    private final KeyFlow flow;
    private final Stops stops;
    private final InstallationId installation;
    private final Clock clock;
    private final Adoption adoption;
    private final SpendingCaps caps;
    private final Pause pause;

    private static final Logger LOG = Logger.getLogger(ClientReconcile.class);
    /** Name of the informer on the namespaces that carry a spending cap label. */
    public static final String CAPPED_NAMESPACES = "capped-namespaces";

    public ClientReconcile(MaiConfig config, ManagementKeys managementKeys, KeyLifecycle lifecycle, KeyFlow flow, Stops stops,
            InstallationId installation, Clock clock, Adoption adoption, Pause pause) {
        this.adoption = adoption;
        this.pause = pause;
        // the caps are SpendingCaps' (a lowered cap holds an existing key at the cap instead of stopping the client)
        this.validator = new SpecValidator(Optional.empty(), AppPolicy.of(config.appAllowedImages(),
                config.appAllowedNodeSelectorKeys().orElse(List.of()), config.appAllowedTolerationKeys().orElse(List.of())));
        this.caps = new SpendingCaps(config.maxSpendingLimit());
        this.managementKeys = managementKeys;
        this.lifecycle = lifecycle;
        this.flow = flow;
        this.stops = stops;
        this.installation = installation;
        this.clock = clock;
    }

    UpdateControl<MaiClient> reconcile(MaiClient client, Context<MaiClient> context, Optional<KeySweep> sweep) {
        Instant now = clock.instant();
        Long generation = client.getMetadata().getGeneration();
        LOG.debugf("reconcile %s/%s generation %d", client.getMetadata().getNamespace(), client.getMetadata().getName(), generation);
        MaiClientStatus before = client.getStatus() == null ? new MaiClientStatus() : client.getStatus();
        MaiClientStatus status = new MaiClientStatus(before);
        status.setObservedGeneration(generation);
        List<SpecValidator.Violation> violations = new ArrayList<>(validator.validate(client));
        Optional<SpendingCaps.Breach> breach = violations.isEmpty() ? capped(client, context) : Optional.empty();
        breach.filter(b -> b.clampTo().isEmpty() || before.getKeyHash() == null).ifPresent(b -> violations.add(b.violation()));
        if (!violations.isEmpty()) {
            String message = violations.stream().map(Object::toString).collect(Collectors.joining("; "));
            UnaryOperator<StatusBuilder> invalid = b -> Pause.requested(client) ? b.invalidSpec(message)
                    : b.invalidSpec(message).resumed(); // a pause that ended while the spec was invalid is over in status too
            ManagementKeys.Resolution braking = breach.isPresent() && before.getKeyHash() != null
                    ? managementKeys.resolve(client, context) : null;
            if (braking != null && !braking.isMissing()) {
                // a cap label nobody can read stops everything but the brakes: spec.disableKey, a lowered limit
                return pause.brakeOnly(client, context, braking.key(), before, status, now, sweep, READY, invalid);
            }
            return stops.stop(client, context, before, invalid.apply(new StatusBuilder(status, generation, now)), READY, null);
        }
        // a cap lowered below the limit of a client that has a key: the key is held at the cap, and KeyProvisioned says why
        MaiClient held = breach.map(b -> clamped(client, b.clampTo().get())).orElse(client);
        ManagementKeys.Resolution managementKey = managementKeys.resolve(held, context);
        if (managementKey.isMissing()) {
            return stops.stop(held, context, before, new StatusBuilder(status, generation, now)
                    .managementKeyMissing(managementKey.missing()), KEY_PROVISIONED, Waits.MISSING_KEY_RETRY);
        }
        Optional<UpdateControl<MaiClient>> paused = pause.reconcile(held, context, managementKey.key(), before, status, now, sweep);
        if (paused.isPresent()) {
            return paused.get(); // mai.dev/paused: nothing below runs, not even the finalizer on the management-key Secret
        }
        // hold the key Secret while it is in use (the one a key was made with is let go only once the
        // key is known under the new one)
        ProvisioningKeyRef source = managementKey.secret() == null ? null : held.getSpec().getProvisioningKeySecretRef();
        if (managementKey.secret() != null) {
            managementKeys.hold(context, held, managementKey.secret());
        }
        try {
            return withManagementKey(held, context, managementKey.key(), source, before, status, now, sweep, breach);
        } catch (SecretRefused refused) {
            return secretRefused(held, context, before, status, refused, now);
        } catch (OpenRouterException e) {
            if (e.retryable()) {
                throw e; // backoff in JOSDK; updateErrorStatus reports it
            }
            String reason = e.managementKeyRejected() ? Reason.PROVISIONING_KEY_REJECTED
                    : e.insufficientCredits() ? Reason.INSUFFICIENT_CREDITS : Reason.OPENROUTER_REJECTED;
            // status keeps what this reconcile did (a new key, keys still to revoke) for the next try
            return stops.stop(held, context, before, new StatusBuilder(status, generation, now)
                    .openRouterRefused(reason, e.getMessage()), KEY_PROVISIONED, Waits.SLOW_RETRY);
        }
    }

    private UpdateControl<MaiClient> withManagementKey(MaiClient client, Context<MaiClient> context, ApiKey managementKey,
            ProvisioningKeyRef source, MaiClientStatus before, MaiClientStatus status, Instant now, Optional<KeySweep> sweep,
            Optional<SpendingCaps.Breach> capped) {
        Long generation = client.getMetadata().getGeneration();
        if (before.getKeyHash() != null && !Objects.equals(before.getProvisioningKeySecretRef(), source)
                && lifecycle.prove(client, managementKey, before.getKeyHash()).ownership() == KeyLifecycle.Ownership.GONE) {
            // the key lives on the account of the old management key: a new key here would leave it billing
            return stops.stop(client, context, before, new StatusBuilder(status, generation, now)
                    .accountChanged(before.getProvisioningKeySecretRef(), source), KEY_PROVISIONED, Waits.SLOW_RETRY);
        }
        if (before.getAdoption() != null && before.getAdoption().underWay()
                && !Objects.equals(before.getProvisioningKeySecretRef(), source)) {
            // the key an adoption under way changed lives on the account its intent recorded: the change is undone
            // there, and the next reconcile starts afresh on the account the spec names now
            ManagementKeys.Resolution recorded = managementKeys.resolve(client, before.getProvisioningKeySecretRef(), context);
            StatusBuilder built = new StatusBuilder(status, generation, now);
            return !recorded.isMissing() && adoption.withdraw(client, recorded.key(), status, now)
                    ? stops.stop(client, context, before, built, null, Waits.PROPAGATION_RECHECK)
                    : stops.stop(client, context, before, built.accountChanged(before.getProvisioningKeySecretRef(), source),
                            KEY_PROVISIONED, Waits.SLOW_RETRY);
        }
        MaiClientStatus known = before;
        boolean takingOver = takingOver(client, managementKey, before);
        if (takingOver) {
            // the other installation's key and its bookkeeping are not this installation's: start afresh
            known = new MaiClientStatus(before);
            forgetForeignKey(known);
            forgetForeignKey(status); // in place: a failure reported below reports on this status
        }
        Pass pass = new Pass(client, context, managementKey, source, known, status, now, takingOver);
        pass.capped = capped;
        UpdateControl<MaiClient> done = flow.run(pass, sweep);
        if (before.getProvisioningKeySecretRef() != null && !Objects.equals(before.getProvisioningKeySecretRef(), source)
                && Objects.equals(status.getProvisioningKeySecretRef(), source)) {
            managementKeys.release(context, client, before.getProvisioningKeySecretRef().getName());
        }
        return done;
    }

    /** A cap {@code client}'s spending limit breaks (the namespace's cap label is read from the informer on capped namespaces). */
    private Optional<SpendingCaps.Breach> capped(MaiClient client, Context<MaiClient> context) {
        String namespace = client.getMetadata().getNamespace();
        Optional<String> label = ManagementKeys.informer(context, CAPPED_NAMESPACES, Namespace.class).get(new ResourceID(namespace))
                .map(ns -> ns.getMetadata().getLabels()).map(l -> l.get(Labels.SPENDING_CAP));
        return caps.breach(client.getSpec().getSpendingLimit(), namespace, label);
    }

    /**
     * {@code client} with its spending limit at {@code cap}: what the rest of the reconcile works from
     * while a cap lowered later holds the key below the spec's limit. Its metadata is the client's own
     * object, so the resourceVersion a status write returns is the client's.
     */
    private static MaiClient clamped(MaiClient client, BigDecimal cap) {
        MaiClient held = new MaiClient();
        held.setMetadata(client.getMetadata());
        held.setSpec(Serialization.unmarshal(Serialization.asJson(client.getSpec()), MaiClientSpec.class));
        held.getSpec().setSpendingLimit(new IntOrString(cap.toPlainString()));
        held.setStatus(client.getStatus());
        return held;
    }

    /** The API server refused the client's Secret: SecretWriteFailed, tried again slowly (no key made per retry). */
    private UpdateControl<MaiClient> secretRefused(MaiClient client, Context<MaiClient> context, MaiClientStatus before,
            MaiClientStatus status, SecretRefused refused, Instant now) {
        MaiClientStatus reported = refused.status().orElse(status);
        reported.setObservedGeneration(client.getMetadata().getGeneration());
        if (refused.cause().isPresent()) {
            // at most once per slow retry; the message quotes the server without the key's bytes
            LOG.warnf("%s/%s: %s", client.getMetadata().getNamespace(), client.getMetadata().getName(), refused.getMessage());
        }
        StatusBuilder built = new StatusBuilder(reported, client.getMetadata().getGeneration(), now)
                .secretRefused(refused.cause().map(c -> refused.getMessage()));
        return stops.stop(client, context, before, built, SECRET_SYNCED, Waits.SLOW_RETRY);
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
        return installation.get().equals(MaiClientUpdates.annotation(client, Labels.TAKE_OVER))
                && before.getKeyHash() != null
                && StatusBuilder.hasReason(before, KEY_PROVISIONED, Reason.KEY_OWNED_ELSEWHERE)
                && lifecycle.prove(client, managementKey, before.getKeyHash()).ownership() == KeyLifecycle.Ownership.OTHER_INSTALLATION;
    }

    /** Takes the foreign key and the bookkeeping that came with it (its usage, pending revocations) out of {@code status}. */
    private static void forgetForeignKey(MaiClientStatus status) {
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
    }
}
